"""The demo organizations' project updates: after each approved milestone the
contracted organization tells the project's supporters how the work went (through
`notify.updates.post_update`, so the supporters are notified as in production), every
other one with a photo — a small picture painted here, in the colours of the season.
"""

from __future__ import annotations

import struct
import zlib

from notify.update_rules import PhotoUpload
from notify.updates import post_update

UPDATES = (
    (
        "需求摸底完成：走访了46户",
        "志愿者和社工两人一组，逐户了解老人的身体状况、用餐和出行需要。\n\n"
        "下个阶段按需求排定上门服务时间表。",
        "Needs survey done: 46 homes visited",
        "Volunteers and social workers went door to door in pairs, asking about health,"
        " meals and getting around.\n\nNext: a visiting timetable built on what we heard.",
        "两名志愿者在楼道口与一位老人交谈"
        " Two volunteers talk with an older resident at a stairwell",
    ),
    (
        "中期评估：每周两次上门服务",
        "本阶段共上门312次，送餐1,080份。三位老人转介至社区卫生服务中心。",
        "Mid-term review: visits twice a week",
        "312 home visits and 1,080 meals this stage. Three residents were referred to the"
        " community health centre.",
        "社区食堂里打包好的午餐盒 Packed lunch boxes in the community canteen",
    ),
    (
        "回访：老人们的意见",
        "我们回访了全部服务对象，满意度九成以上。大家希望增加理发和陪同就医。",
        "Follow-up visits: what residents told us",
        "We went back to everyone we serve; over nine in ten are satisfied. Many asked for"
        " haircuts and company on hospital visits.",
        "志愿者为老人理发 A volunteer gives a resident a haircut",
    ),
    (
        "结项：一年的服务",
        "结项报告已提交，服务记录和照片均已存档，欢迎查阅。",
        "Project complete: a year of service",
        "The final report is in; the service log and photos are on file for anyone to read.",
        "结项座谈会合影 The closing meeting, everyone together",
    ),
)


def painting(seed: int, width: int = 480, height: int = 270) -> bytes:
    """A PNG: a sky over a green slope, its hues turned by `seed` (a few KB)."""
    sky = bytes(((150 + seed * 23) % 256, 190, 235))
    grass = bytes((70, 140 + seed * 11 % 60, 70))
    rows = []
    for y in range(height):
        edge = min(width, max(0, 12 * (height * 2 // 3 - y)))  # where the slope starts
        rows.append(b"\x00" + sky * edge + grass * (width - edge))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


async def post(org_user: int, contract_id: int, step: int, parts: int) -> int:
    """The update after milestone `step` of `parts` (the last one closes the project)."""
    chosen = UPDATES[-1] if step == parts - 1 else UPDATES[step % (len(UPDATES) - 1)]
    title_zh, body_zh, title_en, body_en, alt = chosen
    photo = [PhotoUpload(1, f"photo-{contract_id}-{step}.png", painting(contract_id + step), alt)]
    return await post_update(
        user_id=org_user,
        contract_id=contract_id,
        texts={"title_zh": title_zh, "body_zh": body_zh, "title_en": title_en, "body_en": body_en},
        uploads=photo if step % 2 == 0 else [],
    )
