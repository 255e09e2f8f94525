"""The exercises of the original course, one module each (see SPEC.md)."""
