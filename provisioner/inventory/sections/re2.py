"""Offline check of GitLab's regular expressions, which are RE2 [G:doc/api/project_push_rules.md 'GitLab
uses RE2 syntax for all regular expressions in push rules'; app/validators/untrusted_regexp_validator.rb].

Python has no RE2, so the check is in two parts, and says what it cannot see:
1. constructs RE2 refuses and Python's `re` accepts are refused by name (RE2's syntax page,
   github.com/google/re2/wiki/Syntax, marks them NOT SUPPORTED): lookahead and lookbehind,
   backreferences, atomic groups and possessive quantifiers, conditionals, comments `(?#...)`, the
   flags `x`, `a`, `L`, `u`, `\\Z`, and repetition counts above 1000;
2. the rest is compiled by `re` after the RE2-only syntax is rewritten to something `re` knows
   (`\\z`, `\\pN` and `\\p{Greek}`, `\\Q...\\E`, `\\C`, `(?<name>`, the flag `U`): unbalanced
   parentheses, bad ranges and escapes, nothing to repeat.
What passes may still be refused by GitLab where the two grammars differ in a corner (RE2's
Unicode class names are not checked); GitLab then answers 400 and the run reports it.
"""

from __future__ import annotations

import re
import warnings

_UNSUPPORTED = (
    ("(?=", "lookahead (?=...)"),
    ("(?!", "negative lookahead (?!...)"),
    ("(?<=", "lookbehind (?<=...)"),
    ("(?<!", "negative lookbehind (?<!...)"),
    ("(?>", "atomic group (?>...)"),
    ("(?(", "conditional (?(...)...)"),
    ("(?#", "comment (?#...)"),
    ("(?P=", "backreference (?P=name)"),
)
_COUNT = re.compile(r"\{(\d+)(?:,(\d*))?\}")
_FLAGS = re.compile(r"\(\?([a-zA-Z]+)(?:-([a-zA-Z]+))?[:)]")
MAX_REPEAT = 1000


def re2_problem(pattern: str) -> str | None:
    """Why RE2 would refuse `pattern`, or None when this check finds nothing."""
    rewritten: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            escape = pattern[i + 1 : i + 2]
            if not escape:
                return "trailing backslash at end of expression"
            if escape.isdigit() and escape != "0" and not in_class:
                return f"backreference \\{escape} (RE2 has none)"
            if escape in ("Z", "G"):
                return f"\\{escape} (RE2 does not support it; \\z is the end of text)"
            if escape == "k":
                return "backreference \\k<name> (RE2 has none)"
            if escape == "Q":
                end = pattern.find("\\E", i + 2)
                literal = pattern[i + 2 : len(pattern) if end < 0 else end]
                rewritten.append(re.escape(literal))
                i = len(pattern) if end < 0 else end + 2
                continue
            if escape in ("p", "P"):
                after = pattern[i + 2 : i + 3]
                stop = pattern.find("}", i) + 1 if after == "{" else i + 3
                if after == "{" and stop == 0:
                    return "missing } in a Unicode class \\p{...}"
                rewritten.append("\\w" if not in_class else "a")
                i = stop
                continue
            rewritten.append({"z": r"\Z", "C": "."}.get(escape, "\\" + escape))
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
            elif pattern.startswith("[:", i):  # [[:alpha:]]: a POSIX class inside a class
                end = pattern.find(":]", i + 2)
                if end > 0:
                    rewritten.append("a")
                    i = end + 2
                    continue
            rewritten.append(char)
            i += 1
            continue
        if char == "[":
            in_class = True
            rewritten.append(char)
            i += 1
            if pattern.startswith("^", i):
                rewritten.append("^")
                i += 1
            if pattern.startswith("]", i):  # a leading ] is a literal
                rewritten.append("\\]")
                i += 1
            continue
        if char == "(":
            for opener, name in _UNSUPPORTED:
                if pattern.startswith(opener, i):
                    return f"{name} (RE2 does not support it)"
            if pattern.startswith("(?<", i):  # (?<name>...), RE2's other spelling of (?P<name>...)
                rewritten.append("(?P<")
                i += 3
                continue
            flags = _FLAGS.match(pattern, i)
            if flags:
                unknown = set("".join(part or "" for part in flags.groups())) - set("imsU")
                if unknown:
                    return f"flag {''.join(sorted(unknown))} (RE2 knows i, m, s and U only)"
                kept = [part.replace("U", "") if part else part for part in flags.groups()]
                text = "(?" + kept[0] + (f"-{kept[1]}" if kept[1] else "")
                text = "(?:" if text in ("(?", "(?-") else text
                rewritten.append(text + pattern[flags.end() - 1])
                i = flags.end()
                continue
        count = _COUNT.match(pattern, i) if char == "{" else None
        if count and any(int(n) > MAX_REPEAT for n in count.groups() if n):
            return f"bad repetition operator: {count.group(0)} (RE2 allows at most {MAX_REPEAT})"
        end = count.end() if count else i + 1
        if (count or char in "*+?") and pattern.startswith("+", end):
            return "possessive quantifier (RE2 does not support it)"
        rewritten.append(pattern[i:end])
        i = end
    return _compiles("".join(rewritten))


def _compiles(python_form: str) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nested-set FutureWarnings for POSIX-looking classes
            re.compile(python_form)
    except re.error as exc:
        return str(exc)
    return None
