"""Lua scripts shipped with queuesim, one atomic step each."""
