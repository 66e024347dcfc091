"""What the cleaning core needs to know about the site a page came from."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SiteInfo:
    key: str | None = None
    name: str | None = None
    province: str | None = None
    family: str | None = None            # None: tell it from the page
    rules: dict = field(default_factory=dict, hash=False, compare=False)   # selectors added to the family's

    @classmethod
    def from_mapping(cls, data: dict | None) -> "SiteInfo | None":
        if not data:
            return None
        return cls(key=data.get("key"), name=data.get("name"), province=data.get("province"),
                   family=data.get("family"), rules=dict(data.get("rules") or {}))
