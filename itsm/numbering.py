"""Per-table record numbers: a prefix and seven digits, safe under concurrency."""

from django.db import IntegrityError, transaction

from itsm.models import NUMBERED_KINDS, NumberCounter, NumberedRecord

DIGITS = 7


def format_number(prefix: str, value: int) -> str:
    """Return `prefix` followed by `value` zero-padded to seven digits."""
    return f"{prefix}{value:0{DIGITS}d}"


def assign_number(prefix: str) -> str:
    """Take the next free number for `prefix`.

    The counter row is locked for the rest of the transaction, so two concurrent
    creations never get the same value; numbers that were set by hand are skipped.
    """
    with transaction.atomic():
        counter = _locked_counter(prefix)
        while _number_taken(prefix, format_number(prefix, counter.next_value)):
            counter.next_value += 1

        number = format_number(prefix, counter.next_value)
        counter.next_value += 1
        counter.save(update_fields=["next_value"])
    return number


def _locked_counter(prefix: str) -> NumberCounter:
    counter = NumberCounter.objects.select_for_update().filter(prefix=prefix).first()
    if counter is not None:
        return counter

    try:
        # A concurrent first use may create the same counter; the savepoint lets
        # the loser read the winner's row instead of failing.
        with transaction.atomic():
            NumberCounter.objects.create(prefix=prefix)
    except IntegrityError:
        pass
    return NumberCounter.objects.select_for_update().get(prefix=prefix)


def _number_taken(prefix: str, number: str) -> bool:
    models: set[type[NumberedRecord]] = set()
    for kind in NUMBERED_KINDS:
        if kind.number_prefix == prefix:
            # Task kinds share the parent table, where `number` is unique.
            base = kind._meta.get_parent_list()
            models.add(base[-1] if base else kind)  # type: ignore[arg-type]
    return any(
        model._default_manager.filter(number=number).exists() for model in models
    )
