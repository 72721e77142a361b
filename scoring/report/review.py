"""The post-incident review the team submitted (`review.submitted`), for the PIR draft.

The console sends `{fields: {what_happened, why, went_well, went_badly,
improvements}, action_items: [{item, owner, due, status}]}`; the autopilot sends
`what_happened`, `actions` and `follow_up`. Every submission is kept: a later
answer to the same question replaces an earlier one, action items add up.
Fields scoring does not know are kept under their own name, never dropped.
The text stays raw here; the templates escape it (HTML autoescape, `md`).
"""

from __future__ import annotations

from pydantic import BaseModel

from scoring.drill import DrillView, actor_name

__all__ = ["ReviewItem", "SubmittedReview", "submitted_review"]

# Which PIR section each known field fills (the playbook's Review Topics).
KNOWN_FIELDS: dict[str, str] = {
    "what_happened": "what_happened",
    "actions": "actions",
    "why": "why",
    "root_cause": "why",
    "contributing_factors": "contributing_factors",
    "went_well": "went_well",
    "went_badly": "went_badly",
    "improvements": "improvements",
    "follow_up": "improvements",
}


class ReviewItem(BaseModel):
    """An action item the team wrote itself."""

    item: str
    owner: str = ""
    due: str = ""
    status: str = "Open"


class SubmittedReview(BaseModel):
    """The team's own answers to the review's questions."""

    authors: list[str]
    submitted_t: float
    what_happened: str = ""
    actions: str = ""
    why: str = ""
    contributing_factors: str = ""
    went_well: str = ""
    went_badly: str = ""
    improvements: str = ""
    other: dict[str, str] = {}
    action_items: list[ReviewItem] = []

    @property
    def contributing(self) -> str:
        """Contributing factors as the team put them (their "why" when not given apart)."""
        return self.contributing_factors or self.why


def submitted_review(view: DrillView) -> SubmittedReview | None:
    """Every `review.submitted` of the drill merged into one review, or None."""
    submissions = view.of("review.submitted")
    if not submissions:
        return None
    sections: dict[str, str] = {}
    other: dict[str, str] = {}
    items: dict[str, ReviewItem] = {}
    for event in submissions:
        fields = event.data.get("fields")
        for name, value in (fields if isinstance(fields, dict) else {}).items():
            text = str(value).strip() if value is not None else ""
            if not text:
                continue
            section = KNOWN_FIELDS.get(str(name))
            if section is None:
                other[str(name).replace("_", " ")] = text
            else:
                sections[section] = text
        raw_items = event.data.get("action_items")
        for raw in raw_items if isinstance(raw_items, list) else []:
            item = _item(raw, actor_name(event.actor))
            if item is not None:
                items.setdefault(item.item, item)
    authors = list(dict.fromkeys(actor_name(e.actor) for e in submissions))
    return SubmittedReview.model_validate(
        {
            **sections,
            "authors": authors,
            "submitted_t": submissions[-1].t,
            "other": other,
            "action_items": list(items.values()),
        }
    )


def _item(raw: object, author: str) -> ReviewItem | None:
    if isinstance(raw, str):
        raw = {"item": raw}
    if not isinstance(raw, dict) or not str(raw.get("item") or "").strip():
        return None
    return ReviewItem(
        item=str(raw["item"]).strip(),
        owner=str(raw.get("owner") or "").strip() or author,
        due=str(raw.get("due") or "").strip(),
        status=str(raw.get("status") or "").strip() or "Open",
    )
