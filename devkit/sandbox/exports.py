"""Sample group exports (section 12) for the demo and tests, and how they reach an inbox.

`data/exports/` holds a WhatsApp chat exported from Android (`.txt`), the chat text of an iPhone
"with media" export (`_chat_riverside_year7.txt`; `whatsapp_zip` adds a generated photo and zips
it as WhatsApp does) and a Facebook group "Download your information" JSON with Facebook's
latin-1 mojibake. Every name in them is invented.
"""

from __future__ import annotations

import io
import os
import shutil
import time
import zipfile
from pathlib import Path

from devkit.sandbox.media_api import jpeg

EXPORTS = Path(__file__).parent / "data" / "exports"
WHATSAPP_TXT = EXPORTS / "WhatsApp Chat with Oakfield Staff Room.txt"
IOS_CHAT = EXPORTS / "_chat_riverside_year7.txt"
FACEBOOK_GROUP_JSON = EXPORTS / "oakfield-staff-social.json"
IOS_PHOTO = "00000007-PHOTO-2026-11-05-13-02-55.jpg"

# Which sample the demo's export accounts receive (external id -> file).
DEMO_INBOX_FILES = {
    "oakfield-staff-room": WHATSAPP_TXT,
    "oakfield-staff-social": FACEBOOK_GROUP_JSON,
}


def whatsapp_zip() -> bytes:
    """An iPhone "Export chat > Attach media" archive: `_chat.txt` plus the photo it mentions."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("_chat.txt", IOS_CHAT.read_bytes())
        z.writestr(IOS_PHOTO, jpeg(64, 48, 90))
    return buffer.getvalue()


def drop(inbox: Path, name: str, data: bytes | Path, *, age_seconds: float = 3600) -> Path:
    """Put a file into an inbox as a creator would, already settled (`age_seconds` old)."""
    inbox.mkdir(parents=True, exist_ok=True)  # as a creator would: their umask, not ours
    target = inbox / name
    if isinstance(data, Path):
        shutil.copyfile(data, target)
    else:
        target.write_bytes(data)
    then = time.time() - age_seconds
    os.utime(target, (then, then))
    return target
