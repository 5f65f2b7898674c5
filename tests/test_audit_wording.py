"""The audit trail as staff read it: codes become words, before/after become sentences."""

from compliance.audit.wording import action_words, change_sentences


def test_codes_become_words():
    assert action_words("request.approved") == "Request approved"
    assert action_words("item.hidden") == "Item taken down"
    assert action_words("widget.got_polished") == "Widget got polished"


def test_before_and_after_become_sentences():
    assert change_sentences(
        {"status": "verified"}, {"status": "approved", "automatically": False}
    ) == [
        "Status changed from verified to approved.",
        "Automatically: no.",
    ]
    assert change_sentences({}, {"text_fingerprint": True}) == ["Text fingerprint: yes."]
    assert change_sentences({"assignee": "ana"}, {}) == ["Assignee cleared (was ana)."]
    assert change_sentences({"ground": "copyright"}, {"ground": "licence_withdrawn"}) == [
        "Ground changed from copyright to licence withdrawn."
    ]
    assert change_sentences({}, {"url": "https://a.example/x_y"}) == ["Url: https://a.example/x_y."]
