"""Totals, VAT and the sum of lines always agree to the satang (Decimal, half-up)."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import arithmetic

quantities = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("10000"), places=2
)
prices = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("1000000"), places=2)
line_lists = st.lists(st.tuples(quantities, prices), min_size=1, max_size=20)
rates = st.sampled_from(
    [Decimal("7.00"), Decimal("10.00"), Decimal("0.00"), Decimal("6.50")]
)


@given(line_lists, rates)
def test_total_is_value_plus_vat_and_value_is_sum_of_lines(lines, rate):
    totals = arithmetic.totals(lines, rate)
    assert totals.subtotal == sum(arithmetic.line_amount(q, p) for q, p in lines)
    assert totals.total == totals.subtotal + totals.vat_amount
    for amount in (totals.subtotal, totals.vat_amount, totals.total):
        assert amount == amount.quantize(Decimal("0.01"))


@given(line_lists, rates)
def test_vat_is_within_half_a_satang_of_the_exact_rate(lines, rate):
    totals = arithmetic.totals(lines, rate)
    exact = totals.subtotal * rate / 100
    assert abs(totals.vat_amount - exact) <= Decimal("0.005")


@given(st.integers(min_value=0, max_value=10**9))
def test_vat_rounds_half_up_to_the_satang(satang):
    value = Decimal(satang) / 100
    vat = arithmetic.vat_on(value, Decimal(7))
    exact = value * Decimal(7) / 100
    # Half-up: the exact third decimal 5 goes up, never to even.
    assert vat - exact <= Decimal("0.005")
    assert exact - vat < Decimal("0.005")


def test_half_satang_goes_up():
    assert arithmetic.vat_on(Decimal("3250.50"), Decimal(7)) == Decimal("227.54")
    assert arithmetic.to_satang(Decimal("0.125")) == Decimal("0.13")
    assert arithmetic.withholding_on(Decimal("3250.50"), Decimal(3)) == Decimal("97.52")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(line_lists)
def test_issued_documents_store_totals_that_agree_with_their_lines(
    alice_profile, lines
):
    from billing import services

    document = services.create_billing_note(
        alice_profile,
        lines=[services.LineInput("x", q, p) for q, p in lines],
        issue=True,
    )
    document.refresh_from_db()
    stored_lines = list(document.lines.all())
    assert document.subtotal == sum(line.amount for line in stored_lines)
    assert document.vat_amount == arithmetic.vat_on(
        document.subtotal, document.vat_rate
    )
    assert document.total == document.subtotal + document.vat_amount
