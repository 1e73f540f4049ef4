"""The scrubber behind `secrets.redact`: every known string found, whatever its shape, in memory
that grows with the strings (no pattern compiled for the forms of tokens GitLab issues)."""

from __future__ import annotations

import base64
import re
import secrets as random

from provisioner.scrubber import Scrubber, trie

HIDDEN = "#"


def tokens(count: int) -> list[str]:
    return [f"glrt-{random.token_urlsafe(20)}" for _ in range(count)]


def test_word_shaped_strings_are_found_anywhere_in_a_run_and_compile_no_pattern() -> None:
    scrubber = Scrubber()
    issued = tokens(5000)
    scrubber.add(issued)
    core = base64.b64encode(issued[7].encode()).decode().rstrip("=")
    scrubber.add([core])
    text = f"a={issued[0]}&b={issued[4999]}{issued[3]} auth: {base64.b64encode(b'user:x').decode()}{core}=="
    scrubbed = scrubber.scrub(text, HIDDEN)
    assert not any(t in scrubbed for t in (issued[0], issued[3], issued[4999], core))
    assert scrubbed.startswith(f"a={HIDDEN}&b={HIDDEN}") and scrubbed.endswith(f"{HIDDEN}==")
    assert scrubber._levels == [] and scrubber._pending == []


def test_strings_of_other_shapes_are_matched_too_and_compiled_in_levels() -> None:
    scrubber = Scrubber()
    passwords = [f'pa ss "{n}" wörd' for n in range(100)]
    scrubber.add(passwords)
    assert sum(len(words) for words, _ in scrubber._levels) + len(scrubber._pending) == 100
    assert scrubber.scrub(f"x {passwords[0]} y {passwords[99]} z", HIDDEN) == f"x {HIDDEN} y {HIDDEN} z"


def test_a_string_containing_another_of_the_other_shape_is_hidden_whole() -> None:
    """Both indexes search the original text and their spans are merged: neither half of the longer
    string is left when the shorter one, of the other kind, is found first or alone."""
    scrubber = Scrubber()
    token = "glrt-Zq9vX2mKp4TnB7wLr"
    scrubber.add([token, "abcd", f"user {token} pass"])
    assert scrubber.scrub(f"1 user {token} pass 2", HIDDEN) == f"1 {HIDDEN} 2"
    inner = "glrt-ABCDabcdEFGH"  # a token holding a short secret of the other kind
    scrubber.add([inner])
    assert scrubber.scrub(f"[{inner}] abcd", HIDDEN) == f"[{HIDDEN}] {HIDDEN}"


def test_word_shaped_strings_sharing_their_first_characters_longest_first() -> None:
    scrubber = Scrubber()
    scrubber.add(["abcd-secret", "abcd-secret-longer", "abcd-sec"])
    assert scrubber.scrub("abcd-secret-longer abcd-secret abcd-sec abcd-se", HIDDEN) == (
        f"{HIDDEN} {HIDDEN} {HIDDEN} abcd-se"
    )


def test_the_trie_shares_prefixes_so_re_does_not_try_every_string_at_every_position() -> None:
    words = ["glrt-abc", "glrt-abd", "gldt-xyz", "zzzz"]
    assert trie(words) == "(?:gl(?:dt\\-xyz|rt\\-ab(?:c|d))|zzzz)"


def test_the_longest_string_of_a_trie_wins_where_one_contains_another() -> None:
    pattern = re.compile(trie(["abcd", "abcdefgh", "abce"]))
    assert pattern.sub("#", "abcdefgh abcdefgX abce abc") == "# #efgX # abc"
