"""Chinese first: the English messages of the kernel and of each service, said in Chinese.

A :class:`Catalogue` holds (pattern of a whole English message, Chinese template) pairs and
the words they share. The kernel has its own (``localised.KERNEL``); each service adds its
catalogue to its ``ServiceSpec`` (``messages=``), and the middleware of ``localised`` answers with
both. A message is matched whole; each named group of its pattern is said in Chinese too:
a shared word, or another message of the catalogue (nested: the rules a refusal lists, the
"as of" of a 404), or as written (numbers, codes, names). Several messages joined by "; "
are each said.

Standard library only: domains may word their rules in English and never see this.
"""

import re
from collections.abc import Iterable, Mapping

# One CJK ideograph: what a Chinese message has and an English one lacks.
CJK = re.compile(r"[\u3400-\u9fff]")


class Catalogue:
    """English messages → Chinese, with the words the templates share. ``worded``: the
    groups that are a word followed by a code ("region 621121" → "地区 621121");
    ``verbatim``: the groups kept as written (a rule's name: "[county] …" stays a code)."""

    def __init__(
        self,
        patterns: Iterable[tuple[str, str]] = (),
        words: Mapping[str, str] | None = None,
        worded: Iterable[str] = (),
        verbatim: Iterable[str] = (),
    ) -> None:
        self.patterns = [(re.compile(p, re.DOTALL), zh) for p, zh in patterns]
        self.words = dict(words or {})
        self.worded = frozenset(worded)
        self.verbatim = frozenset(verbatim)

    def __add__(self, other: "Catalogue") -> "Catalogue":
        """Both, ``self``'s patterns tried first (put the specific before the general)."""
        both = Catalogue(
            words={**other.words, **self.words},
            worded=self.worded | other.worded,
            verbatim=self.verbatim | other.verbatim,
        )
        both.patterns = [*self.patterns, *other.patterns]
        return both

    def chinese(self, message: str) -> str | None:
        """The message in Chinese, or ``None`` when no pattern matches it whole (nor any
        of the messages it joins with "; ")."""
        if (said := self._match(message)) is not None or "; " not in message:
            return said
        # Several messages in one ("…; …"), each the longest run of parts a pattern knows
        # (a message may hold "; " itself): each said, "；" between.
        parts, runs, start = message.split("; "), [], 0
        while start < len(parts):
            for end in range(len(parts), start, -1):
                run = "; ".join(parts[start:end])
                if (said := self._match(run)) is not None:
                    break
            else:
                run, said, end = parts[start], None, start + 1
            runs.append(said or run)
            start = end
        return "；".join(runs) if has_chinese("".join(runs)) else None

    def _match(self, message: str) -> str | None:
        for pattern, template in self.patterns:
            if found := pattern.fullmatch(message):
                said = {
                    name: self._say(name, value or "", len(message))
                    for name, value in found.groupdict().items()
                }
                chinese = template.format(**said)
                return chinese if has_chinese(chinese) else None  # "[rule] …" said nothing
        return None

    def beside(self, message: str) -> str:
        """ "中文（English）", or the English alone when the catalogue does not know it."""
        said = self.chinese(message)
        return f"{said}（{message}）" if said else message

    def _say(self, name: str, value: str, within: int) -> str:
        if name in self.verbatim:
            return value
        if value in self.words:
            return self.words[value]
        if name in self.worded:
            kind, _, code = value.partition(" ")  # "region 621121", "bank gansu-rcc"
            if code and kind in self.words:
                return f"{self.words[kind]} {code}"
        if not value or len(value) >= within:  # nothing shorter to say: as written
            return value
        if ", " in value and all(w in self.words for w in value.split(", ")):  # a list of words
            return "、".join(self.words[w] for w in value.split(", "))
        return self.chinese(value) or value  # another message, or as written


def has_chinese(text: str) -> bool:
    return CJK.search(text) is not None
