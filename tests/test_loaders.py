"""schema/loaders.py `Loaders.read_now`: a page reads what its nodes will ask the loaders for in
one batch, primes the loader, and leaves alone what the loader holds or what failed."""

from __future__ import annotations

import pytest
from strawberry.dataloader import DataLoader

from schema.loaders import NOT_READY, Loaders, ready


async def test_read_now_primes_what_is_missing_in_one_batch() -> None:
    batches: list[list[str]] = []

    async def load(keys: list[str]) -> list[str | BaseException]:
        batches.append(keys)
        return [ValueError(key) if key == "bad" else key.upper() for key in keys]

    loader: DataLoader[str, str] = DataLoader(load)
    loader.prime("held", "HELD BEFORE")
    await Loaders().read_now(loader, ["a", "held", "b", "a", "bad"])

    assert batches == [["a", "b", "bad"]]  # one batch, no repeats, nothing held read again
    assert ready(loader, "a") == "A" and ready(loader, "b") == "B"
    assert ready(loader, "held") == "HELD BEFORE"
    assert ready(loader, "bad") is NOT_READY  # a failed key is not primed with its error
    with pytest.raises(ValueError):
        await loader.load("bad")  # loading it raises where it belongs
    await Loaders().read_now(loader, ["a", "b"])
    assert len(batches) == 2  # the failed key's own load; nothing read for what is held
