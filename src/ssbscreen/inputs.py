"""Reading the user's YAML files (campaigns, ssbscreen.yaml): safe tags only, no aliases, and
errors that name the file and the line but never echo its content (it may hold a password)."""

from __future__ import annotations

from pathlib import Path

import yaml


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases: ``*name`` can expand a few lines into gigabytes."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.events.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not accepted, write each value out", mark
            )
        return super().compose_node(parent, index)


def load_yaml(path: str | Path, label: str) -> object:
    """The content of the YAML file ``path``; ValueError naming ``label`` and the line."""
    try:
        return yaml.load(Path(path).read_text(), Loader=_NoAliasLoader)
    except UnicodeDecodeError:
        raise ValueError(f"{label} is not a text file; give a YAML file.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "unreadable"
        raise ValueError(f"{label} is not valid YAML{where}: {problem}; fix it.") from None
