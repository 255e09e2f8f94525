"""Exercise 12, "In stock?": products, their remaining stock in Redis, and reservations.

Redis key ``item.<id>`` holds a product's **remaining** stock; a missing key
means the product still has its initial stock. A reservation checks that stock
is left and takes one unit. *How* it does that is the lesson: the strategies
``atomic`` (the default: one Lua script, ``reserve_stock.lua``), ``watch``
(optimistic locking with retries) and ``naive`` (the original's racy GET then
SET, a teaching foil) are those of :mod:`queuesim.supply`, which the seat
service shares; this module gives them products and stock keys.

``think`` is client-side work between the read and the write (seconds), a
:class:`~queuesim.drivers.Pause` the driver honours; it widens the race window
of ``naive`` and the retry window of ``watch``; ``atomic`` ignores it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import redis

from queuesim.drivers import AsyncDriver, Batch, Conversation, SyncDriver
from queuesim.errors import ProductNotFound
from queuesim.scripts import load_script
from queuesim.supply import (
    DEFAULT_MAX_RETRIES,
    MAX_COUNT,
    Strategy,
    StrategyService,
    Supply,
    Take,
    TakeStatus,
    check_count,
    read,
    take,
)

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "MAX_STOCK",
    "PRODUCTS",
    "AsyncStockService",
    "Product",
    "Reservation",
    "ReservationStatus",
    "StockService",
    "StockStrategy",
    "current_quantity",
    "get_current_reserved_stock_by_id",
    "get_item_by_id",
    "list_products",
    "parse_item_id",
    "reserve",
    "reserve_stock_by_id",
    "reset",
    "reset_stock",
    "stock_key",
]

#: The largest stock a product can be given (Lua numbers stay exact well beyond it).
MAX_STOCK = MAX_COUNT
#: The stock service's name for :class:`queuesim.supply.Strategy` (the seat service shares it).
StockStrategy = Strategy

_RESERVE_STOCK = load_script("reserve_stock")
# Ids are plain ASCII decimal numbers: "1abc", "-1", "+1", " 1", "1.0" and "١" are not ids.
_ID = re.compile(r"[0-9]{1,18}", re.ASCII)


@dataclass(frozen=True, slots=True)
class Product:
    """A product on sale: its id, name, price and the stock it starts with."""

    item_id: int
    name: str
    price: int
    initial_quantity: int

    def __repr__(self) -> str:
        return f"<Product {self.item_id} {self.name!r} stock {self.initial_quantity}>"


#: The products of the exercise (docs/SPEC.md §12), in id order.
PRODUCTS: tuple[Product, ...] = (
    Product(1, "Suitcase 250", 50, 4),
    Product(2, "Suitcase 450", 100, 10),
    Product(3, "Suitcase 650", 350, 2),
    Product(4, "Suitcase 1050", 550, 5),
)
_BY_ID = {p.item_id: p for p in PRODUCTS}


class ReservationStatus(StrEnum):
    """The outcome of a reservation attempt; the values are the HTTP ``status`` texts."""

    CONFIRMED = "Reservation confirmed"  #: one unit taken
    NOT_ENOUGH_STOCK = "Not enough stock available"  #: nothing taken
    NOT_FOUND = "Product not found"  #: the id names no product
    CONTENDED = "Too much contention"  #: ``watch`` gave up after its retries; nothing taken


@dataclass(frozen=True, slots=True)
class Reservation:
    """What a reservation attempt did.

    ``remaining`` is the stock left as this client saw it (after its own
    decrement when confirmed; ``None`` when the product does not exist or the
    attempt gave up). ``retries`` counts the aborted transactions of the
    ``watch`` strategy (always 0 for the others).
    """

    status: ReservationStatus
    item_id: int | None
    remaining: int | None = None
    retries: int = 0

    def __repr__(self) -> str:
        extra = "" if self.remaining is None else f" remaining={self.remaining}"
        extra += f" retries={self.retries}" if self.retries else ""
        return f"<Reservation {self.status.name.lower()} item={self.item_id}{extra}>"

    @property
    def confirmed(self) -> bool:
        """Whether one unit was reserved."""
        return self.status is ReservationStatus.CONFIRMED


def list_products() -> list[Product]:
    """Every product, in id order."""
    return list(PRODUCTS)


def parse_item_id(item_id: int | str) -> int | None:
    """``item_id`` as a product id number, or ``None`` if it cannot be one.

    Accepts a non-negative ``int`` or a string of ASCII digits; ``"1abc"``,
    ``"-1"`` or ``" 1"`` give ``None`` (never 1).

    Raises:
        TypeError: ``item_id`` is neither an ``int`` nor a ``str`` (``bool`` included).
    """
    if isinstance(item_id, bool) or not isinstance(item_id, int | str):
        raise TypeError(f"a product id must be an int or a str, not {type(item_id).__name__}")
    if isinstance(item_id, int):
        return item_id if item_id >= 0 else None
    return int(item_id) if _ID.fullmatch(item_id) else None


def get_item_by_id(item_id: int | str) -> Product | None:
    """The product with this id, or ``None`` (unknown, negative, huge or non-numeric ids)."""
    number = parse_item_id(item_id)
    return None if number is None else _BY_ID.get(number)


def stock_key(product: Product) -> str:
    """The Redis key holding ``product``'s remaining stock: ``item.<id>``."""
    return f"item.{product.item_id}"


def _supply(product: Product) -> Supply:
    return Supply(stock_key(product), product.initial_quantity, "stock count", _RESERVE_STOCK)


# --------------------------------------------------------------------------- conversations


def current_quantity(product: Product) -> Conversation[int]:
    """Conversation: the remaining stock of ``product`` (the initial stock if never touched)."""
    return read(_supply(product))


_STATUS = {
    TakeStatus.TAKEN: ReservationStatus.CONFIRMED,
    TakeStatus.SHORT: ReservationStatus.NOT_ENOUGH_STOCK,
    TakeStatus.CONTENDED: ReservationStatus.CONTENDED,
}


def reserve(
    product: Product,
    strategy: StockStrategy | str = StockStrategy.ATOMIC,
    *,
    quantity: int = 1,
    think: float = 0.0,
    max_retries: int = DEFAULT_MAX_RETRIES,
) -> Conversation[Reservation]:
    """Conversation: reserve ``quantity`` units of ``product`` with ``strategy``.

    Args:
        product: the product (see :func:`get_item_by_id`).
        strategy: ``"atomic"`` (default), ``"watch"`` or ``"naive"`` (racy; for teaching only).
        quantity: units to take, at least 1.
        think: seconds of client-side work between read and write (``naive``/``watch``).
        max_retries: aborted transactions ``watch`` retries before answering
            :attr:`ReservationStatus.CONTENDED`.

    Raises:
        ValueError: an unknown strategy, or an argument out of range.
    """
    chosen = Strategy.parse(strategy, "stock")
    check_count(quantity, minimum=1, what="quantity")
    taking = take(_supply(product), chosen, quantity=quantity, think=think, max_retries=max_retries)
    return _reserve(product, taking)


def _reserve(product: Product, taking: Conversation[Take]) -> Conversation[Reservation]:
    result = yield from taking
    return Reservation(_STATUS[result.status], product.item_id, result.left, result.retries)


def reset(products: Sequence[Product] = PRODUCTS, quantity: int | None = None) -> Conversation[None]:
    """Conversation: give ``products`` their initial stock back (or ``quantity`` each, for benchmarks).

    Raises:
        ValueError: ``quantity`` is negative or above :data:`MAX_STOCK`.
    """
    if quantity is not None:
        check_count(quantity, minimum=0, what="quantity")
    return _reset(tuple(products), quantity)


def _reset(products: tuple[Product, ...], quantity: int | None) -> Conversation[None]:
    if not products:
        return
    if quantity is None:
        yield ("DEL", *(stock_key(p) for p in products))
    else:
        yield Batch.of([("SET", stock_key(p), quantity) for p in products], atomic=True)


# --------------------------------------------------------------------------- services


class StockService(StrategyService):
    """Products and reservations on a synchronous client (real Redis or the embedded store).

    Example::

        stock = StockService(connect())
        stock.reserve(1)          # Reservation(status=<...CONFIRMED...>, item_id=1, remaining=3)
        stock.current_quantity(1)  # 3
    """

    __slots__ = ()
    noun = "stock"
    _driver: SyncDriver

    def current_quantity(self, item_id: int | str) -> int | None:
        """The remaining stock of the product, or ``None`` if no product has this id."""
        product = get_item_by_id(item_id)
        return None if product is None else self._driver.run(current_quantity(product))

    def reserve(self, item_id: int | str, quantity: int = 1) -> Reservation:
        """Try to reserve ``quantity`` units of the product ``item_id``."""
        product = get_item_by_id(item_id)
        if product is None:
            return Reservation(ReservationStatus.NOT_FOUND, None)
        return self._driver.run(
            reserve(product, self.strategy, quantity=quantity, think=self.think, max_retries=self.max_retries)
        )

    def reset(self, quantity: int | None = None, item_id: int | str | None = None) -> None:
        """Restore the initial stock (or set ``quantity``) of one product or, by default, all.

        Raises:
            ProductNotFound: ``item_id`` names no product.
        """
        self._driver.run(reset(_products(item_id), quantity))


class AsyncStockService(StrategyService):
    """:class:`StockService` for an asyncio client (``redis.asyncio.Redis`` or fakeredis's)."""

    __slots__ = ()
    noun = "stock"
    driver_class = AsyncDriver
    _driver: AsyncDriver

    async def current_quantity(self, item_id: int | str) -> int | None:
        """The remaining stock of the product, or ``None`` if no product has this id."""
        product = get_item_by_id(item_id)
        return None if product is None else await self._driver.run(current_quantity(product))

    async def reserve(self, item_id: int | str, quantity: int = 1) -> Reservation:
        """Try to reserve ``quantity`` units of the product ``item_id``."""
        product = get_item_by_id(item_id)
        if product is None:
            return Reservation(ReservationStatus.NOT_FOUND, None)
        return await self._driver.run(
            reserve(product, self.strategy, quantity=quantity, think=self.think, max_retries=self.max_retries)
        )

    async def reset(self, quantity: int | None = None, item_id: int | str | None = None) -> None:
        """Restore the initial stock (or set ``quantity``) of one product or, by default, all."""
        await self._driver.run(reset(_products(item_id), quantity))


def _products(item_id: int | str | None) -> Sequence[Product]:
    if item_id is None:
        return PRODUCTS
    product = get_item_by_id(item_id)
    if product is None:
        raise ProductNotFound(f"no product has id {item_id!r}")
    return (product,)


# --------------------------------------------------------------------------- the original's names


def get_current_reserved_stock_by_id(client: redis.Redis, item_id: int | str) -> int | None:
    """The remaining stock of product ``item_id`` (the original's name), ``None`` if unknown.

    Unlike the original, a remaining stock of 0 reads as 0, not as the initial stock.
    """
    return StockService(client).current_quantity(item_id)


def reserve_stock_by_id(
    client: redis.Redis,
    item_id: int | str,
    strategy: StockStrategy | str = StockStrategy.ATOMIC,
    *,
    think: float = 0.0,
) -> Reservation:
    """Reserve one unit of product ``item_id`` with ``strategy`` (default: the atomic script)."""
    return StockService(client, strategy, think=think).reserve(item_id)


def reset_stock(client: redis.Redis, quantity: int | None = None, item_id: int | str | None = None) -> None:
    """Give every product (or only ``item_id``) its initial stock back, or ``quantity`` units."""
    StockService(client).reset(quantity, item_id)
