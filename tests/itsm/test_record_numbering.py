"""Records are numbered per table with a prefix and seven digits, skipping numbers
that were set by hand."""

from itsm.models import Call, ChangeRequest, Incident, Interaction, Problem


def test_it_numbers_each_table_with_its_prefix_and_seven_digits(db):
    numbers = [
        Incident.objects.create().number,
        Incident.objects.create().number,
        Problem.objects.create().number,
        ChangeRequest.objects.create().number,
        Call.objects.create().number,
        Interaction.objects.create().number,
    ]

    assert numbers == [
        "INC0010001",
        "INC0010002",
        "PRB0010001",
        "CHG0010001",
        "CALL0010001",
        "IMS0010001",
    ]


def test_it_skips_numbers_that_were_set_by_hand(db):
    Incident.objects.create(number="INC0010002")
    Incident.objects.create(number=" inc0010003 ")

    numbers = [Incident.objects.create().number for _ in range(3)]

    assert numbers == ["INC0010001", "INC0010004", "INC0010005"]
    assert Incident.objects.filter(number="INC0010003").exists()


def test_it_keeps_a_number_set_by_hand_trimmed_and_upper_case(db):
    call = Call.objects.create(number="  call0000042 ")

    assert call.number == "CALL0000042"
