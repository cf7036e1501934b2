"""The benchmark's and acceptance run's stand-ins answer Lookup and the Calls API, scripted per number, as Twilio would."""

from bench.fake_crm import on_file
from bench.fake_verify import HANG, BenchVerify

LINE_TYPE = "Fields=line_type_intelligence%2Csim_swap"


def lookup(verify, number):
    """What the stand-in answers a Lookup of `number` for line type and SIM swap."""
    return verify.answer("GET", f"/v2/PhoneNumbers/{number.replace('+', '%2B')}", {}, LINE_TYPE)


def test_lookup_says_mobile_unless_the_number_is_scripted():
    verify = BenchVerify()
    status, body = lookup(verify, "+14155550101")
    assert status == 200 and body["line_type_intelligence"]["type"] == "mobile"
    assert body["sim_swap"]["last_sim_swap"]["swapped_in_period"] is False
    assert body["call_forwarding"] is None  # not asked for
    assert lookup(verify, "+15005552205")[1]["line_type_intelligence"]["type"] == "landline"
    assert lookup(verify, "+15005552207")[1]["sim_swap"]["last_sim_swap"]["swapped_in_period"] is True
    assert lookup(verify, "+15005552500")[0] == 500
    assert lookup(verify, "+15005552999") == HANG


def test_lookups_are_kept_by_number_with_their_fields_and_not_counted_as_sends():
    verify = BenchVerify()
    lookup(verify, "+14155550101")
    lookup(verify, "+14155550101")
    assert verify.looked_up["+14155550101"] == ["line_type_intelligence,sim_swap"] * 2
    assert (verify.counts["lookup"], verify.counts["send"]) == (2, 0)


def test_a_call_created_is_kept_to_be_played():
    verify = BenchVerify()
    form = {"To": "+15005552205", "From": "+15005550006", "Url": "https://ivr.example.com/callback/answer?s=x", "MachineDetection": "Enable"}
    status, body = verify.answer("POST", f"/2010-04-01/Accounts/{'AC' + '0' * 32}/Calls.json", form)
    assert status == 201 and body["status"] == "queued"
    assert verify.calls[-1]["sid"] == body["sid"] and verify.calls[-1]["form"]["MachineDetection"] == "Enable"
    assert (verify.counts["call"], verify.counts["send"]) == (1, 0)


def test_the_crm_stand_in_has_an_email_on_file_for_the_accounts_from_10009000():
    assert on_file("10000042", "+14155550042") == {"phone": "+14155550042"}
    assert on_file("10009001", "+14155559001") == {"phone": "+14155559001", "email": "holder-10009001@example.com"}
