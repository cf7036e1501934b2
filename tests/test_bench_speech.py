"""The load generator's model of Twilio's time: what a caller hears before the next webhook (bench/speech.py)."""

from xml.etree import ElementTree

import pytest

from bench import speech


def document(xml):
    return ElementTree.fromstring(f"<Response>{xml}</Response>")


def test_a_say_takes_its_words_at_two_and_a_half_a_second():
    root = document("<Say>Please hold while we check your number.</Say><Redirect>/verification/start</Redirect>")
    assert speech.seconds_before(root, root[1]) == pytest.approx(7 / 2.5)


def test_a_redirect_waits_for_every_say_and_pause_before_it_and_none_after():
    root = document(
        "<Say>One two three four five.</Say><Pause length=\"2\"/><Play>https://example.com/tone.mp3</Play>"
        "<Redirect>/next</Redirect><Say>never spoken before the fetch</Say>"
    )
    assert speech.seconds_before(root, root[3]) == pytest.approx(5 / 2.5 + 2 + 3)


def test_a_gathers_action_follows_its_prompt_and_the_keyed_digits():
    root = document('<Gather action="/verification/check"><Say>Enter the code we sent.</Say><Pause/></Gather>')
    prompt = speech.seconds_before(root, root[0])
    assert prompt == pytest.approx(5 / 2.5 + 1)  # a <Pause> without length is Twilio's 1 s
    assert prompt + speech.keying_seconds("123456") == pytest.approx(2 + 1 + 6 * 0.3)


def test_a_looped_say_is_spoken_that_many_times_and_an_endless_loop_once():
    assert speech.verb_seconds(document('<Say loop="3">one two three four five</Say>')[0]) == pytest.approx(6)
    assert speech.verb_seconds(document('<Say loop="0">one two three four five</Say>')[0]) == pytest.approx(2)


def test_the_last_document_is_spoken_whole_before_the_call_ends():
    root = document("<Say>You are verified. Goodbye.</Say><Hangup/>")
    assert speech.document_seconds(root) == pytest.approx(4 / 2.5)
    assert speech.seconds_before(root, root[1]) == pytest.approx(4 / 2.5)


def test_a_bad_pause_length_counts_as_twilios_default():
    assert speech.verb_seconds(document('<Pause length="soon"/>')[0]) == 1.0
