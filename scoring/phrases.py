"""Words for feedback: drill times as mm:ss, durations, and what an action did.

Feedback is read by trainees during a debrief, so times are always given as
mm:ss from the drill start and actions in plain past tense.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ACTION_PHRASES", "action_label", "action_phrase", "clock", "signed_span", "span"]

# Past tense of each remediation (scoring.names.REMEDIATIONS); unknown actions
# fall back to "ran <name>".
ACTION_PHRASES: dict[str, str] = {
    "service.restart": "restarted the service",
    "deploy.rollback": "rolled back the deploy",
    "db.kill_long_queries": "killed the long-running queries",
    "db.restore": "restored the database",
    "db.failover_to_replica": "failed over to the replica",
    "service.scale_up": "scaled the service up",
    "cache.clear": "cleared the cache",
    "feature.disable": "disabled a feature",
    "dependency.switch_backup": "switched to the backup provider",
    "disk.cleanup": "freed disk space",
}


def clock(t: float | None) -> str:
    """Drill time as mm:ss (h:mm:ss past an hour); "--:--" when unknown."""
    if t is None:
        return "--:--"
    whole = max(0, round(t))
    hours, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes:02d}:{seconds:02d}"


def span(seconds: float | None) -> str:
    """A duration in words a person reads at a glance: 75 -> "1m15s"."""
    if seconds is None:
        return "—"
    whole = round(abs(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def signed_span(seconds: float | None) -> str:
    """A margin: "+1m15s" under target, "-30s" over."""
    if seconds is None:
        return "—"
    return ("+" if seconds >= 0 else "-") + span(seconds)


def action_label(action: str, args: Any) -> str:
    """The action as the responder typed it: "feature.disable:recommendations"."""
    arg = _arg_text(args)
    return f"{action}:{arg}" if arg else action


def action_phrase(action: str, args: Any) -> str:
    """What the action did, in past tense: "disabled a feature (recommendations)"."""
    phrase = ACTION_PHRASES.get(action, f"ran {action}")
    arg = _arg_text(args)
    return f"{phrase} ({arg})" if arg else phrase


def _arg_text(args: Any) -> str:
    if args is None or args == "" or args == {} or args == []:
        return ""
    if isinstance(args, dict):
        return ",".join(str(value) for value in args.values())
    if isinstance(args, list | tuple):
        return ",".join(str(value) for value in args)
    return str(args)


def first_sentence(text: str, *, mid_sentence: bool = True) -> str:
    """The first sentence of prose, without its full stop, to use inside feedback."""
    sentence = " ".join(text.split()).split(". ")[0].rstrip(".")
    word = sentence.split(" ")[0]
    # "A query ..." reads "a query ..." mid-sentence; acronyms ("DB lock") stay as they are.
    if mid_sentence and word and word[0].isupper() and (word == "A" or word[1:].islower()):
        sentence = sentence[0].lower() + sentence[1:]
    return sentence
