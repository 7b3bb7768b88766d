"""The Social Media Policy's sections: the one registry every finding, pack and route cites.

A newcomer looking for "8.13" finds `Section.SUPPLIERS` here, and from it every detector and pack
that cites it (`git grep SUPPLIERS`, or the table in docs/detectors.md, which a test keeps equal to
this registry). Packs name sections by number in YAML; `Section(number)` validates them. The
texts are the policy's own words, abridged for the long sections; item pages quote the trust's
own policy file when one is configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Section(StrEnum):
    """A section of the policy, by number (a `str`, so findings serialise unchanged)."""

    SCOPE = "1"
    APPROVED_SITES = "4"
    OVERSIGHT = "5"
    USE_OF_SOCIAL_MEDIA = "7"
    TRACEABLE = "8.1"
    PRIVATE_PROFILES = "8.2"
    PARENT_CONTACTS = "8.3"
    PUPIL_IDENTITY = "8.4"
    PUPILS_DISCUSSED = "8.5"
    DISREPUTE = "8.6"
    DATA_PROTECTION = "8.7"
    OWN_VIEWS = "8.8"
    CONFIDENTIAL = "8.9"
    DEROGATORY = "8.10"
    POLITICAL = "8.11"
    INAPPROPRIATE_LINKS = "8.12"
    SUPPLIERS = "8.13"
    PORNOGRAPHY = "8.14"
    EQUALITY = "8.15"
    IMPERSONATION = "8.16"
    LIABILITY = "8.17"
    DISCIPLINARY = "9"
    SECURITY = "10"
    MONITORING = "11"
    EMPLOYEE_GROUPS = "12"

    @property
    def heading(self) -> str:
        return SECTIONS[self].title

    @property
    def text(self) -> str:
        return SECTIONS[self].text

    @property
    def sort_key(self) -> tuple[int, ...]:
        """Numeric order: 8.4 < 8.10 < 10."""
        return tuple(int(part) for part in self.value.split("."))

    def cite(self) -> str:
        """How explanations name it: 'section 8.13 of the Social Media Policy'."""
        return f"section {self.value} of the Social Media Policy"


@dataclass(frozen=True, slots=True)
class SectionInfo:
    title: str
    text: str


_S = Section
SECTIONS = MappingProxyType(
    {
        _S.SCOPE: SectionInfo(
            "Scope",
            "This policy applies to all staff, Trustees, Governors and Advisory Board Members, "
            "for all use of social media with potential impact on the school or Trust.",
        ),
        _S.APPROVED_SITES: SectionInfo(
            "Work-related sites need the Headteacher's approval",
            "When an employee wishes to create a work-related social media site they must "
            "obtain approval from the Headteacher. Creators of these groups are responsible for "
            "monitoring the content of the site.",
        ),
        _S.OVERSIGHT: SectionInfo(
            "Who oversees the policy",
            "Managed by the Headteacher or another manager; matters about the Headteacher go to "
            "the Cluster Lead, about the Executive Team to the CEO, about the CEO to Trustees.",
        ),
        _S.USE_OF_SOCIAL_MEDIA: SectionInfo(
            "The use of social media",
            "Do not bring the School or Trust into disrepute, breach confidentiality, or behave "
            "in a discriminatory, bullying or harassing way. School accounts are professional "
            "channels.",
        ),
        _S.TRACEABLE: SectionInfo(
            "Everything can be traced",
            "Employees should assume that everything can be traced back to them personally.",
        ),
        _S.PRIVATE_PROFILES: SectionInfo(
            "Private profiles, no pupil contacts",
            "Personal sites are set to private and pupils are never approved contacts.",
        ),
        _S.PARENT_CONTACTS: SectionInfo(
            "No personal contact with parents",
            "Staff should not accept or initiate personal friend requests from parents.",
        ),
        _S.PUPIL_IDENTITY: SectionInfo(
            "Pupils' identity",
            "Information must not be posted that would disclose the identity of pupils or could "
            "in any way be linked to a pupil(s), including photographs or videos of pupils or "
            "their homes.",
        ),
        _S.PUPILS_DISCUSSED: SectionInfo(
            "Pupils never discussed",
            "Pupils must never be discussed on social media sites.",
        ),
        _S.DISREPUTE: SectionInfo(
            "Disrepute",
            "Do not post information, photographs or videos that could bring the School into "
            "disrepute.",
        ),
        _S.DATA_PROTECTION: SectionInfo(
            "Data protection",
            "When posting, employees must observe the requirements of data protection regulations.",
        ),
        _S.OWN_VIEWS: SectionInfo(
            "Own views",
            "Employees must not represent their own views as those of the school or trust.",
        ),
        _S.CONFIDENTIAL: SectionInfo(
            "Confidential information",
            "Employees must not divulge any information that is confidential to the school, "
            "trust or a partner organisation.",
        ),
        _S.DEROGATORY: SectionInfo(
            "False, derogatory or defamatory remarks",
            "Potentially false, derogatory, offensive or defamatory remarks towards the School, "
            "employees, pupils, pupils' relatives, suppliers and partner organisations should "
            "not be posted.",
        ),
        _S.POLITICAL: SectionInfo(
            "Political activity",
            "Employees must avoid the appearance that they are speaking or acting for the "
            "School/Trust when engaging in political activities.",
        ),
        _S.INAPPROPRIATE_LINKS: SectionInfo(
            "Inappropriate content",
            "Content or links must not interfere with work commitments or be inappropriate.",
        ),
        _S.SUPPLIERS: SectionInfo(
            "Service providers",
            "Employees must not either endorse or criticise service providers used by the school "
            "or develop online relationships which create a conflict of interest.",
        ),
        _S.PORNOGRAPHY: SectionInfo(
            "Pornographic material",
            "Employees must not upload, post, forward or post a link to any pornographic material.",
        ),
        _S.EQUALITY: SectionInfo(
            "Offensive or discriminatory language",
            "Observe the Equality Act and the Human Rights Act; do not use offensive, obscene, "
            "derogatory or discriminatory language.",
        ),
        _S.IMPERSONATION: SectionInfo(
            "Impersonation",
            "Employees must never impersonate another person.",
        ),
        _S.LIABILITY: SectionInfo(
            "Liability, copyright, privacy",
            "Do not post links likely to create liability, breach copyright or invade privacy.",
        ),
        _S.DISCIPLINARY: SectionInfo(
            "Disciplinary action",
            "Misuse may lead to disciplinary action; criminal matters are referred to the "
            "police and, where necessary, the County Council's safeguarding lead.",
        ),
        _S.SECURITY: SectionInfo(
            "Social media security",
            "Do not reveal personal or private information such as date of birth, address "
            "details and bank details.",
        ),
        _S.MONITORING: SectionInfo(
            "Monitoring",
            "Use of social media websites may be monitored and breaches acted upon.",
        ),
        _S.EMPLOYEE_GROUPS: SectionInfo(
            "Employee groups",
            "Creators of employee groups are responsible for monitoring the content of the site "
            "and ensuring that it is not in breach of this policy.",
        ),
    }
)

# Findings citing these alert the school's safeguarding lead (pupils identified or discussed).
SAFEGUARDING = frozenset({Section.PUPIL_IDENTITY, Section.PUPILS_DISCUSSED})


def sort_key(number: str) -> tuple[int, ...]:
    """Numeric order of a section number, known or not (unknown ones sort last)."""
    try:
        return Section(number).sort_key
    except ValueError:
        return (999,)
