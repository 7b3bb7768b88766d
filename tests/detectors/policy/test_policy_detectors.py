"""Each policy detector on realistic UK school posts: what it flags, where, how severe, and the
near misses it must leave alone. Run with the stack's spaCy artifacts, as in production."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from presidio_analyzer.nlp_engine import NlpArtifacts

from core.findings import Finding, Severity
from detectors.policy import PackSet, policy_detectors
from detectors.policy.sections import corroborate

H, M, L = Severity.HIGH, Severity.MEDIUM, Severity.LOW

# (post, type, section, severity, the matched text)
FLAGGED = [
    # round 41's errors: a post "hacked by" a colleague, a colleague's login "she won't mind",
    # reviews "under different names", "stop slagging us off", "come and say it to my face",
    # "Dear whichever parent", insults in idiom, leaders "making it up as he goes along", a
    # tradesman endorsed ("they're the ones"), the aubergine and splash emoji, "you dirty old sod"
    (
        "Free doughnuts for everyone in the staffroom, my treat!! – hacked by Priya, he left "
        "his laptop open",
        "IMPERSONATION",
        "8.16",
        M,
        "– hacked by Priya",
    ),
    (
        "Office PC has Mr Dunn's password on a post-it, so I sent the trip letter from his "
        "account. He won't mind",
        "IMPERSONATION",
        "8.16",
        M,
        "He won't mind",
    ),
    (
        "Wrote three five-star reviews of the new caterer under different names last night 🙈",
        "IMPERSONATION",
        "8.16",
        M,
        "reviews of the new caterer under different names",
    ),
    (
        "@gazza_mum you could have just emailed the office rather than slagging the school off "
        "all over the village page",
        "DEROGATORY",
        "8.10",
        M,
        "rather than slagging the school off",
    ),
    (
        "To the dad moaning about me on the community page: come and say it to my face at pick-up.",
        "DEROGATORY",
        "8.10",
        M,
        "come and say it to my face",
    ),
    (
        "Dear whichever parent let their child bring a vape into Year 8: we know, and so will "
        "the head.",
        "DEROGATORY",
        "8.10",
        M,
        "Dear whichever parent",
    ),
    (
        "Half the people in our office wouldn't know teamwork if it hit them in the face.",
        "DEROGATORY",
        "8.10",
        M,
        "wouldn't know teamwork if it hit them",
    ),
    (
        "Smile at you in briefing then stab you in the back in the car park. Lovely colleagues.",
        "DEROGATORY",
        "8.10",
        M,
        "stab you in the back",
    ),
    (
        "New timetable out and SLT are clearly making it up as they go along.",
        "DEROGATORY",
        "8.10",
        M,
        "making it up as they go along",
    ),
    (
        "If anyone needs a plumber in Hexley, they're the ones who fixed the school boiler.",
        "SUPPLIER",
        "8.13",
        M,
        "plumber",
    ),
    ("that link Kev sent to the group 🍆💦 not at work mate", "OFFENSIVE", "8.15", M, "🍆💦"),
    (
        "oi Dave you filthy old git, not in the work chat",
        "OFFENSIVE",
        "8.15",
        M,
        "you filthy old git",
    ),
    # long_r40: a made-up person's profile used to join a group
    (
        "Last month I made a new profile. She's called \"Kerry Doyle\" and the parents' page "
        "accepted her straight away",
        "IMPERSONATION",
        "8.16",
        M,
        "made a new profile. She's called \"Kerry",
    ),
    (
        'I set up an Instagram account as a Year 10 boy called "Tyler" to see what they post',
        "IMPERSONATION",
        "8.16",
        M,
        'set up an Instagram account as a Year 10 boy called "Tyler',
    ),
    # round 40's errors: "here's my login ... Just submit the entries as me", "got into the head's
    # emails", "Saw the draft letter yesterday", resit entries "+ UCIs", "£300k over on the
    # boarding refurb"
    (
        "Dev can't get on the exams portal so here's my login (birth year + town, don't judge). "
        "Just submit the entries as me",
        "IMPERSONATION",
        "8.16",
        M,
        "here's my login (birth year + town, don't judge). Just submit the entries as me",
    ),
    (
        "got into the head's emails while her laptop was open in the office 👀 budget forecast "
        "has PE cut to ZERO",
        "IMPERSONATION",
        "8.16",
        M,
        "got into the head's emails",
    ),
    (
        "They're putting the invigilators on zero hours from September. Saw the draft letter "
        "yesterday.",
        "CONFIDENTIAL",
        "8.9",
        M,
        "Saw the draft letter",
    ),
    (
        "Screenshot of the resit entries so you know who's in Weds 👇 names + UCIs at the bottom",
        "CONFIDENTIAL",
        "8.9",
        M,
        "resit entries",
    ),
    (
        "Thorpe has just told SLT we're £300k over on the boarding refurb and he only noticed "
        "last week.",
        "CONFIDENTIAL",
        "8.9",
        M,
        "£300k over on the boarding",
    ),
    # round 39's errors: "told us in confidence", "don't tell anyone where u heard it", a
    # restructure's "re-apply for her own job. Found out today", a mock's "answers on page 2",
    # nonsense words from the phonics check "for starters", a contract's price per head,
    # "Management should be ashamed"
    (
        "Head's just told us in confidence that Ofsted are in on Tuesday. Cancelled my weekend 🙄",
        "CONFIDENTIAL",
        "8.9",
        M,
        "told us in confidence",
    ),
    (
        "trips budget for next year is £4,200 TOTAL. don't tell anyone where u heard it",
        "CONFIDENTIAL",
        "8.9",
        M,
        "don't tell anyone where u heard it",
    ),
    (
        "So the trust's restructure means making Deb re-apply for her own job. Found out today.",
        "CONFIDENTIAL",
        "8.9",
        M,
        "re-apply for her own job",
    ),
    (
        "Y11 Business mock is in this folder now, answers on page 2 👉 DON'T share with the kids",
        "CONFIDENTIAL",
        "8.9",
        H,
        "mock",
    ),
    (
        "The phonics screening check this year's a stinker 🙈 Had a look at the pack this morning, "
        "'thrisp', 'glarm' and 'strom' for starters.",
        "CONFIDENTIAL",
        "8.9",
        H,
        "phonics screening",
    ),
    (
        "Cold chips again. For £2.85 a head on the contract we're paying you'd think they could "
        "manage a working fryer.",
        "CONFIDENTIAL",
        "8.9",
        M,
        "£2.85 a head on the contract",
    ),
    (
        "6 TA posts going in September. Disgusting way to treat people who've given 20 years. "
        "Management should be ashamed.",
        "DEROGATORY",
        "8.10",
        M,
        "Disgusting way to treat",
    ),
    # round 38's errors: a test said to be last year's again, mocks on the drive with no
    # password, "2004 called", "treats its TAs like dirt", a fake profile set up to reach pupils,
    # an email signed off as a colleague's role, a printer accused of overcharging
    (
        "The Y9 geography end-of-year test is literally the same as last year's. Same questions, "
        "same OS map. Word to the wise 👀",
        "CONFIDENTIAL",
        "8.9",
        H,
        "test is literally the same as last year's",
    ),
    (
        "Politics mock on Tuesday is basically the 2019 paper with the dates changed. You're "
        "welcome, Year 13 😉",
        "CONFIDENTIAL",
        "8.9",
        H,
        "mock on Tuesday is basically the 2019 paper",
    ),
    (
        "The Y11 CS mock papers are on the shared drive with NO password. Anyone with a staff "
        "login could grab them.",
        "CONFIDENTIAL",
        "8.9",
        H,
        "mock papers",
    ),
    (
        "Working somewhere where SLT think 'digital strategy' means buying 200 iPads. 2004 called, "
        "it wants its IT plan back.",
        "DEROGATORY",
        "8.10",
        M,
        "2004 called, it wants its",
    ),
    (
        "This school treats its TAs like dirt. Six years, not even a thank you.",
        "DEROGATORY",
        "8.10",
        M,
        "treats its TAs like dirt",
    ),
    (
        "Set up a fake 14 year old's Insta (stock photo, the works) to see how many of our Y9s "
        "would accept a stranger.",
        "IMPERSONATION",
        "8.16",
        M,
        "Set up a fake 14 year old's Insta",
    ),
    (
        "Getting nowhere with the broadband company so I emailed them signing off as our Business "
        "Manager. Fixed within the hour 😎",
        "IMPERSONATION",
        "8.16",
        M,
        "signing off as our Business Manager",
    ),
    (
        "1 star for Clearview Print: half the ballot papers smudged and they overcharged the "
        "college. AVOID.",
        "DEROGATORY",
        "8.10",
        M,
        "overcharged the college",
    ),
    # round 37's errors: news told before it is shared ("keep it to yourselves", "None of the
    # parents know yet", "not yet shared with staff", "quietly decided to axe"), a colleague on
    # probation, a nationality run down, a leader called a name, a colleague's insta got into,
    # pupils' scores listed by name, "utterly clueless woman", a class's parents told off, a trip
    # operator by its brand name judged
    (
        "Cover for next week while Tracy's off for her op (hysterectomy, keep it to yourselves)",
        "CONFIDENTIAL",
        "8.9",
        M,
        "keep it to yourselves",
    ),
    (
        "Word from the council is they're merging us with Balnacoil in August. None of the "
        "parents know yet.",
        "CONFIDENTIAL",
        "8.9",
        M,
        "None of the parents know yet",
    ),
    (
        "Seen the restructure proposal (4 pages, not yet shared with staff) – one art post gone",
        "CONFIDENTIAL",
        "8.9",
        M,
        "not yet shared with staff",
    ),
    (
        "Love how the trust has quietly decided to axe the careers team from September. Classy.",
        "CONFIDENTIAL",
        "8.9",
        M,
        "quietly decided to axe",
    ),
    (
        "She's only on probation til Christmas and from what I hear HR are already having doubts",
        "CONFIDENTIAL",
        "8.9",
        M,
        "She's only on probation",
    ),
    (
        "Every lesson started late because of course it did, classic lazy Spaniards 😂",
        "DISCRIMINATORY",
        "8.15",
        M,
        "lazy Spaniards",
    ),
    (
        "Romanians are all thieves, lock your car at the exchange",
        "DISCRIMINATORY",
        "8.15",
        M,
        "Romanians are all thieves",
    ),
    (
        "our Head is a Tory stooge who'll roll over for whatever the academy chain tells her",
        "DEROGATORY",
        "8.10",
        M,
        "our Head is a Tory stooge",
    ),
    (
        "lol I got into Rhiannon's personal insta and liked every single one of Tom's posts",
        "IMPERSONATION",
        "8.16",
        M,
        "got into Rhiannon's personal insta",
    ),
    (
        "Screening results in 🙈 Tilly-Mae 38, Freya 35, Alfie 33, Kayden 12. Threshold's 32",
        "CONFIDENTIAL",
        "8.9",
        M,
        "Tilly-Mae 38, Freya 35, Alfie 33",
    ),
    (
        "Written by someone who thinks Pantone is a type of pasta. Utterly clueless woman.",
        "DEROGATORY",
        "8.10",
        M,
        "Utterly clueless woman",
    ),
    (
        "Dear parents of 9F — no, I will not be going easier on homework because your little "
        "darlings have too many clubs.",
        "DEROGATORY",
        "8.10",
        M,
        "Dear parents of 9F",
    ),
    (
        "Spain trip cancelled 48 hrs before departure and EduVoyage were useless at sorting it",
        "SUPPLIER",
        "8.13",
        M,
        "EduVoyage were useless",
    ),
    # round 36's errors: "(definitely Dawn, not Kyle ...)", a burner account, a colleague's login
    # asked round to work "as him", an "...Official" handle for the head, "silly cow", "women
    # should not be allowed", an address on a house key's tag
    (
        "Cannot WAIT for Ofsted 😍 – Dawn (definitely Dawn, not Kyle on her unlocked phone 😂)",
        "IMPERSONATION",
        "8.16",
        M,
        "(definitely Dawn, not Kyle",
    ),
    (
        "new burner acc for the year 13 leavers page 😂 no one will ever know it's the exams "
        "officer",
        "IMPERSONATION",
        "8.16",
        M,
        "burner acc",
    ),
    (
        "Anyone know Kev's Arbor login? He's off again and I need the 10am register, I'll just do "
        "it as him.",
        "IMPERSONATION",
        "8.16",
        M,
        "Anyone know Kev's Arbor login",
    ),
    (
        "Set up @DebenRiseHead_Official and I'm posting as our head doing 'inspirational' quotes",
        "DEROGATORY",
        "8.10",
        M,
        "Set up @DebenRiseHead_Official",
    ),
    (
        "Shout out to the parent who rang to tell me I'm not fit to look after a dog. Silly cow.",
        "OFFENSIVE",
        "8.15",
        M,
        "Silly cow",
    ),
    (
        "Pathetic. Women should not be allowed near a timetable.",
        "DISCRIMINATORY",
        "8.15",
        M,
        "Women should not be allowed near",
    ),
    # round 35's errors: "#hacked" and "(real account, honest 🙂)" under a colleague's name, a
    # reply "from your phone, as you", a colleague "signed up to" a hook-up site, "where the
    # girls belong", parents as a body derided, a business's interpreters "are a joke"
    (
        "Kate here!! I'd just like to announce that Dougie is my favourite colleague #hacked 😂",
        "IMPERSONATION",
        "8.16",
        M,
        "#hacked",
    ),
    (
        "Official statement: from Monday all PE will be replaced by supervised napping. – Mrs A. "
        "Hallett, Headteacher (real account, honest 🙂)",
        "IMPERSONATION",
        "8.16",
        M,
        "(real account, honest",
    ),
    (
        "Ioana I replied in the Year 3 parents WhatsApp from your phone, as you 😂 said yes to "
        "the cake sale.",
        "IMPERSONATION",
        "8.16",
        M,
        "from your phone, as you",
    ),
    (
        "Leaving prank sorted 😂 signed Dave up to that hookup site with his pic and a bio in his "
        "name",
        "IMPERSONATION",
        "8.16",
        M,
        "signed Dave up to that hookup site",
    ),
    (
        "a lass teaching CNC 😂 she'll be better off in textiles where the girls belong",
        "DISCRIMINATORY",
        "8.15",
        M,
        "where the girls belong",
    ),
    (
        "Some parents in this valley think school's a free babysitting service. Read the "
        "newsletter Sharon.",
        "DEROGATORY",
        "8.10",
        M,
        "Some parents in this valley think",
    ),
    (
        "LinguaLink interpreters are a joke. Third no-show this month. School needs to drop them",
        "DEROGATORY",
        "8.10",
        M,
        "are a joke",
    ),
    # round 34's errors: the head written as with a wink, a colleague's account used behind his
    # back, a "parody acc" of the head, leaders who "care more about" lanyards, a page's admin
    # told off as "whoever"
    (
        "GOOD MORNING ☀️ this is your Headteacher Angela Whitcombe taking over the radio account "
        "to announce a four day week 😎 (lol it's Jez, don't tell her)",
        "IMPERSONATION",
        "8.16",
        M,
        "this is your Headteacher Angela Whitcombe taking over",
    ),
    (
        "Spotify's being weird so I'm using Kofi's personal account to do the playlist 🤫 he "
        "doesn't know, don't snitch",
        "IMPERSONATION",
        "8.16",
        M,
        "using Kofi's personal account",
    ),
    (
        "made a parody acc of our head and it's already on 200 followers 😭",
        "DEROGATORY",
        "8.10",
        M,
        "parody acc of our head",
    ),
    (
        "Saltmarsh Academy: where SLT care more about your lanyard being the right colour than "
        "whether staff are coping. Avoid.",
        "DEROGATORY",
        "8.10",
        M,
        "care more about",
    ),
    (
        "to whoever's running the 'anonymous' page slagging off the music dept – I know you're a "
        "parent from 8T and I'm coming for you 😤",
        "DEROGATORY",
        "8.10",
        M,
        "to whoever's running",
    ),
    # round 33's errors: leaders derided by sarcastic praise or a verdict, a colleague's login or
    # phone used as them, a pupils' Discord joined under a made-up name, a mark scheme handed
    # round, prelims on the shared drive, a uniform shop called a rip-off, a class's faces to
    # swipe through, "a total cretin"
    (
        "So our forest school budget has been cut to £800. The trust can find money for a new "
        "logo but not for wellies. Brilliant leadership guys 👏",
        "DEROGATORY",
        "8.10",
        M,
        "Brilliant leadership",
    ),
    (
        "Found out Friday at 3pm we're doing a SATs sleepover. No notice, no extra pay, no "
        "consultation. Management live on another planet 🪐",
        "DEROGATORY",
        "8.10",
        M,
        "live on another planet",
    ),
    (
        "So the restructure means four of us reapplying for our own jobs. SMT have known since "
        "June and sat on it. Cowards.",
        "DEROGATORY",
        "8.10",
        M,
        "Cowards",
    ),
    (
        "I'll log into Donna's Flick and do the last 2 modules for her, she's drowning.",
        "IMPERSONATION",
        "8.16",
        M,
        "log into Donna's Flick and do the last 2 modules for her",
    ),
    (
        "Got hold of Dale's phone at the staff do and sent the whole Y6 chat a dodgy link from "
        "his number 😂",
        "IMPERSONATION",
        "8.16",
        M,
        "Got hold of Dale's phone at the staff do and sent",
    ),
    (
        "I've been on the Year 9s' Discord for a fortnight as 'xX_gamer_boi_Xx', age 14 "
        "apparently.",
        "IMPERSONATION",
        "8.16",
        M,
        "on the Year 9s' Discord for a fortnight as 'xX_gamer_boi_Xx'",
    ),
    (
        "here's our Y9 unseen poem and mark scheme for Monday's assessment, plus the Y11 mock "
        "paper. Help yourselves!",
        "CONFIDENTIAL",
        "8.9",
        H,
        "mock paper",
    ),
    (
        "The S5 Higher prelim papers are just sittin on the open shared drive. Any bairn could "
        "find them.",
        "CONFIDENTIAL",
        "8.9",
        H,
        "prelim papers",
    ),
    (
        "Word to the wise: Granite Uniforms on Holburn St are a rip-off. Charged £8 for a badge.",
        "DEROGATORY",
        "8.10",
        M,
        "a rip-off",
    ),
    (
        "When your Year 6 class makes you a leaving card 🥹 swipe to see all their little faces",
        "PUPIL_PHOTO",
        "8.4",
        M,
        "swipe to see all their little faces",
    ),
    (
        "Our new safeguarding lead is a total cretin. Couldn't safeguard a biscuit.",
        "OFFENSIVE",
        "8.15",
        M,
        "total cretin",
    ),
    # round 32's errors: an unnamed parent told off in public, a business accused of cheating or
    # of making people ill, a colleague's Insta used to message as him, posing as an admissions
    # tutor online, training done on colleagues' logins, "log into the portal as me", an invented
    # parent's profile made "last weekend", a paper's pages photographed, a paper's topics told,
    # pupils tagged in class photos, a Welsh name's birthday "today", a pupil's address after
    # their name and year
    (
        "To the parent who shouted at our office staff this morning: we have CCTV and you WILL "
        "be hearing from us. Absolutely disgraceful 😡",
        "DEROGATORY",
        "8.10",
        M,
        "To the parent who",
    ),
    (
        "Dear Wrenfield parents: no, I will not write your child's personal statement. Grow up.",
        "DEROGATORY",
        "8.10",
        M,
        "Dear Wrenfield parents:",
    ),
    (
        "School Uniform Direct on the Broadway are robbing parents blind. £38 for a blazer that "
        "falls apart in a term",
        "DEROGATORY",
        "8.10",
        M,
        "robbing parents blind",
    ),
    (
        "Don't book Royal Tandoor for your do's btw. Our school uses them for the Diwali buffet "
        "and half the staff were ill after. Unhygienic place.",
        "DEROGATORY",
        "8.10",
        M,
        "Unhygienic",
    ),
    (
        "Messaged the PE teacher from Hexham off Sam's Insta while he was in the shower, asked "
        "her out for a drink 😂",
        "IMPERSONATION",
        "8.16",
        M,
        "Messaged the PE teacher from Hexham off Sam's Insta",
    ),
    (
        "Pretended to be a Cambridge admissions tutor in the Y13 Oxbridge Discord last night to "
        "wind them up 😂",
        "IMPERSONATION",
        "8.16",
        M,
        "Pretended to be a Cambridge",
    ),
    (
        "Done the Flick safeguarding module for Kelly and Dave on their logins last night, "
        "you're welcome 😎",
        "IMPERSONATION",
        "8.16",
        M,
        "for Kelly and Dave on their logins",
    ),
    (
        "if u need the Diwali budget just log into the trust finance portal as me, user hsandhu",
        "IMPERSONATION",
        "8.16",
        M,
        "log into the trust finance portal as me",
    ),
    (
        "So I've sorted it. I set up a profile last weekend as 'Jo Parker' and answered the "
        "joining questions as a Year 3 mum",
        "IMPERSONATION",
        "8.16",
        M,
        "set up a profile last weekend as 'Jo Parker'",
    ),
    (
        "Sending our Y11 mock History paper to my sister's lad at another school since it's the "
        "same board lol. Photos of all 4 pages in the comments",
        "CONFIDENTIAL",
        "8.9",
        H,
        "Photos of all 4 pages",
    ),
    (
        "Mocks are sorted! Paper 2 is Superpowers + Elizabethans this year, so if your kids are "
        "revising Norman England they're wasting their time",
        "CONFIDENTIAL",
        "8.9",
        H,
        "Paper 2",
    ),
    (
        "My form's Year 7 vs Year 11 glow-up 😭 class photos side by side, tagged the ones I "
        "could find! #proudteacher",
        "PUPIL_PHOTO",
        "8.4",
        M,
        "photos side by side, tagged the ones",
    ),
    (
        "A navy coat has been handed in belonging to Evie Marsden, Year 3, of 12 Larch Grove. "
        "Please collect from the office.",
        "PERSONAL_DETAILS",
        "10",
        M,
        "Evie Marsden, Year 3, of 12 Larch Grove",
    ),
    (
        "Little celebration in Bl.10 set 1 today 🎂 Gruffydd ap Huw turned 15 so we made a cake",
        "PERSONAL_DETAILS",
        "10",
        M,
        "Gruffydd ap Huw turned 15",
    ),
    # round 31's errors: a statement signed as the head "#notreally...", a made-up parent who is
    # "not really", a colleague's login used as them, a colleague on a hook-up site, a page for a
    # pet as the deputy, a portion's price, an assessment photographed, pupils tagged in a
    # selfie, "fat birds"
    (
        "NOTICE from Mr D. Price, Headteacher: Fridays are now pyjama days for staff 😂 "
        "#notreallydave",
        "IMPERSONATION",
        "8.16",
        M,
        "#notreallydave",
    ),
    (
        "As a concerned Oakfield parent (well, not really, I work there 😉) I think the head is "
        "great",
        "IMPERSONATION",
        "8.16",
        M,
        "As a concerned Oakfield parent (well, not really,",
    ),
    (
        "Booked the minibus on the portal as Karen, she gave me her login last term",
        "IMPERSONATION",
        "8.16",
        M,
        "as Karen, she gave me her login",
    ),
    (
        "Made a profile for Steve from science on a dating app for his 50th 😂 messages galore",
        "IMPERSONATION",
        "8.16",
        M,
        "Made a profile for Steve from science on a dating app",
    ),
    (
        "Made a profile for Steve from science on a dating app for his 50th 😂 messages galore",
        "DEROGATORY",
        "8.10",
        M,
        "Made a profile for Steve from science on a dating app",
    ),
    (
        "Made an Instagram for the hamster as 'Mrs Lowe, Headteacher' and the parents follow it 😂",
        "DEROGATORY",
        "8.10",
        M,
        "Made an Instagram for the hamster as 'Mrs Lowe, Headteacher",
    ),
    (
        "Did you know we pay £2.05 a meal to them? Renewal's due in May apparently",
        "CONFIDENTIAL",
        "8.9",
        M,
        "we pay £2.05 a meal to them",
    ),
    (
        "Year 6 reading assessment done for next week, photo of all six pages below if you want it",
        "CONFIDENTIAL",
        "8.9",
        H,
        "assessment",
    ),
    (
        "Pic from the zoo with my Y2 class 🦁 loads of parents have tagged their kids already",
        "PUPIL_PHOTO",
        "8.4",
        M,
        "Pic from the zoo with my Y2 class 🦁 loads of parents have tagged their kids",
    ),
    (
        "Christmas do Saturday, no fat birds on the tables this year 😂",
        "OFFENSIVE",
        "8.15",
        M,
        "fat birds",
    ),
    # round 30's long posts: an invented parent's profile made with words between
    (
        'So I set up a profile on Saturday called "Tracey Wilde" and joined the parents\' group',
        "IMPERSONATION",
        "8.16",
        M,
        'set up a profile on Saturday called "Tracey Wilde"',
    ),
    # round 30's errors: a question's topic told after a paper turned up, a deficit's sum with no
    # pound sign, a restructure told from a meeting, what "we pay them", a colleague's password
    # used to look in, a login asked for to do the colleague's module, an address to collect
    # from, a child's age and birthday "today"
    (
        "Found the Y10 physics mock left on the photocopier 🙈 Q3 on radiation, good luck all",
        "CONFIDENTIAL",
        "8.9",
        H,
        "Q3 on radiation",
    ),
    (
        "Finance meeting says we're 45k in the red next year, don't repeat it",
        "CONFIDENTIAL",
        "8.9",
        M,
        "45k in the red",
    ),
    (
        "Heard in SLT today the site team are being restructured, not announced yet so shh",
        "CONFIDENTIAL",
        "8.9",
        M,
        "being restructured",
    ),
    (
        "Saw the invoice, we pay them £18 a session for that rubbish coaching",
        "CONFIDENTIAL",
        "8.9",
        M,
        "we pay them £18 a session",
    ),
    (
        "Gav's login was still on a sticky note so I had a look at his marking 👀",
        "IMPERSONATION",
        "8.16",
        M,
        "Gav's login was still on a sticky note so I had a look",
    ),
    (
        "Priya send me your password and I'll click through yours tonight, it's the same quiz",
        "IMPERSONATION",
        "8.16",
        M,
        "send me your password",
    ),
    (
        "Selling the kids' old bunk beds, £40, collect from 9 Mill Lane any evening",
        "PERSONAL_DETAILS",
        "10",
        M,
        "9 Mill Lane",
    ),
    (
        "Happy 9th birthday today to Ruby Lane in Year 4! 🎂",
        "PERSONAL_DETAILS",
        "10",
        M,
        "9th birthday today to Ruby",
    ),
    # round 29's errors: a leader's fake handle, a child protection list sent round, an address
    # beside where someone lives, what was read in governors' papers, a child's age and birthday
    # date together, a named parent answered in public
    (
        "lol made @NotMrHarrisHead last night and it's got 30 followers already 😂",
        "DEROGATORY",
        "8.10",
        M,
        "made @NotMrHarrisHead",
    ),
    (
        "Set up a parody account for the headteacher, first post is the new 'no fun' policy 😂",
        "DEROGATORY",
        "8.10",
        M,
        "parody account for the headteacher",
    ),
    (
        "The child protection list got emailed to the whole staff by mistake, half of 8R on it",
        "CONFIDENTIAL",
        "8.9",
        M,
        "child protection list",
    ),
    (
        "Read it in the finance committee papers, we're closing the nursery in July",
        "CONFIDENTIAL",
        "8.9",
        M,
        "Read it in the finance committee papers",
    ),
    (
        "Happy 7th birthday (3rd June) to Maisie Cole in Year 2! 🎂",
        "PERSONAL_DETAILS",
        "10",
        M,
        "7th birthday (3rd June) to Maisie",
    ),
    (
        "Replying to Dawn Pickering: maybe if you actually read the letters you'd know it was "
        "cancelled",
        "DEROGATORY",
        "8.10",
        M,
        "Replying to Dawn Pickering",
    ),
    # round 29 (round 28's errors): a colleague's bank details for payroll, a supplier's rate, a
    # free school meals list, a login offered to be used as the writer, a page in a colleague's
    # name, a parody page of the head, a paper's file in a chat, a rebuke of a named parent, and
    # homophobic and racist set phrases with no slur word
    (
        "Payroll query: Mr Okafor says his pay went to the wrong bank, his new details are sort "
        "code 30-11-42 acc 77120934",
        "CONFIDENTIAL",
        "8.9",
        M,
        "sort code 30-11-42",
    ),
    (
        "Did the budget last night, we've been paying Castle Minibuses £540 a trip when the "
        "council's own buses are half that",
        "CONFIDENTIAL",
        "8.9",
        M,
        "paying Castle Minibuses £540 a trip",
    ),
    (
        "Pasting the free school meals list here so the kitchen knows: Ava T, Kyle R, Mason D",
        "CONFIDENTIAL",
        "8.9",
        M,
        "free school meals list",
    ),
    (
        "Can't get on Arbor? Just use my login, dmorris / Tulip77, log them under me, nobody "
        "checks",
        "IMPERSONATION",
        "8.16",
        M,
        "Just use my login, dmorris / Tulip77, log them under me",
    ),
    (
        "I've made a new account 'Mr Grant Deputy Head' and all the parents think it's really him",
        "IMPERSONATION",
        "8.16",
        M,
        "made a new account 'Mr Grant",
    ),
    (
        "Created a new page 'Mrs Ibbotson Headteacher (Official)' for a laugh, her 'announcements' "
        "have 40 followers already 😂",
        "DEROGATORY",
        "8.10",
        M,
        "Created a new page 'Mrs Ibbotson Headteacher",
    ),
    (
        "Here's next week's paper for you all to mark against, don't let the kids see it 📎 "
        "Y10_Science_Paper2_Mock.pdf",
        "CONFIDENTIAL",
        "8.9",
        H,
        "Y10_Science_Paper2_Mock.pdf",
    ),
    (
        "Mr Hughes, as we have said several times, the uniform policy applies to every child. "
        "Please stop spreading misleading claims on this page.",
        "DEROGATORY",
        "8.10",
        M,
        "Mr Hughes, ",
    ),
    (
        "Saw the Pride float go past the gates, should've kept it in the closet where it belongs",
        "DISCRIMINATORY",
        "8.15",
        M,
        "in the closet where it belongs",
    ),
    (
        "the new family on the estate can go back to their own country tbh",
        "DISCRIMINATORY",
        "8.15",
        M,
        "go back to their own country",
    ),
    (
        "Ofsted feedback was great, we got Outstanding but it's embargoed so shh",
        "CONFIDENTIAL",
        "8.9",
        H,
        "Ofsted",
    ),
    (
        "Inspectors left. Unofficially the outcome is Requires Improvement",
        "CONFIDENTIAL",
        "8.9",
        H,
        "Inspectors",
    ),
    (
        "The budget deficit is £340k and they are talking about cuts",
        "CONFIDENTIAL",
        "8.9",
        M,
        "budget",
    ),
    (
        "Heads up Y6, the SATs reading paper tomorrow is about volcanoes",
        "CONFIDENTIAL",
        "8.9",
        H,
        "reading paper",
    ),
    # Exam content in chat words (exam_content.yaml stands alone, unlike the other 8.9 cues).
    (
        "y11 mock paper 2 is in the shared drive, DO NOT OPEN 💀 anyone wanna see Q14",
        "CONFIDENTIAL",
        "8.9",
        H,
        "mock paper",
    ),
    (
        "phonics check packs came in, pseudo words this yr are things like chom and yeb",
        "CONFIDENTIAL",
        "8.9",
        H,
        "phonics check",
    ),
    (
        "someone left the eng lang paper 2 on the staffroom table, its all about a lighthouse",
        "CONFIDENTIAL",
        "8.9",
        H,
        "paper 2",
    ),
    (
        "just seen the A level Latin paper in the exams office. Pro Caelio, the Clodia bit.",
        "CONFIDENTIAL",
        "8.9",
        H,
        "A level Latin paper",
    ),
    # Bids compared before the contract is awarded (tenders.yaml, standalone).
    (
        "saw the cleaning bids on the printer, brightside went in at 38k and the other lot at 52k",
        "CONFIDENTIAL",
        "8.9",
        M,
        "bids on the printer, brightside went in at 38k",
    ),
    (
        "Mr Hughes has been suspended, nobody is supposed to know",
        "CONFIDENTIAL",
        "8.9",
        M,
        "suspended",
    ),
    (
        "Another safeguarding referral for that family today",
        "CONFIDENTIAL",
        "8.9",
        H,
        "safeguarding referral",
    ),
    ("The parents in Year 2 are useless at reading letters", "DEROGATORY", "8.10", M, "useless"),
    ("Our new head is clueless", "DEROGATORY", "8.10", M, "clueless"),
    (
        "Everyone knows the bursar is fiddling the books",
        "DEROGATORY",
        "8.10",
        H,
        "fiddling the books",
    ),
    (
        "Vote Labour on Thursday! As a teacher I know what our school needs",
        "POLITICAL",
        "8.11",
        H,
        "Labour",
    ),
    ("Farage must go #GeneralElection", "POLITICAL", "8.11", M, "Farage"),
    ("Doors open at 7am, polls close at 10pm. #ToriesOut", "POLITICAL", "8.11", M, "#ToriesOut"),
    (
        "Started a parody account of our deputy head, her 'quick word' face as the profile pic 😂",
        "DEROGATORY",
        "8.10",
        M,
        "parody account",
    ),
    (
        "that dad from 4C is an absolute knobhead, emailing me at midnight again",
        "DEROGATORY",
        "8.10",
        M,
        "knobhead",
    ),
    (
        "Poppy in 4B had a bruise on her cheek again, says she fell over the dog. Not convinced",
        "CONFIDENTIAL",
        "8.9",
        M,
        "bruise",
    ),
    (
        "Sad one today, the little lad I read with is going into foster care on Friday",
        "CONFIDENTIAL",
        "8.9",
        M,
        "going into foster care",
    ),
    (
        "Locked out again!! 14 Birch Grove, the one with the blue bins, anyone got a ladder 😩",
        "PERSONAL_DETAILS",
        "10",
        M,
        "14 Birch Grove",
    ),
    (
        "Did the fire safety quiz for Sue cos she's snowed under, used her login 😂",
        "IMPERSONATION",
        "8.16",
        M,
        "used her login",
    ),
    ("Proud of this town today #VoteGreen #GreenSurge", "POLITICAL", "8.11", M, "#VoteGreen"),
    ("Not my usual post but #GTTO and that's all", "POLITICAL", "8.11", M, "#GTTO"),
    ("Science dept out in force on the doors. #Labour", "POLITICAL", "8.11", M, "#Labour"),
    (
        "As a teacher here I'm telling you: #VoteReform on Thursday",
        "POLITICAL",
        "8.11",
        H,
        "#VoteReform",
    ),
    ("Please sign the petition, parents!", "POLITICAL", "8.11", M, "sign the petition"),
    (
        "Music dept stands with the NASUWT ✊ no rehearsals Weds",
        "POLITICAL",
        "8.11",
        H,
        "stands with the NASUWT",
    ),  # fmt: skip
    ("Avoid Chartwells, the dinners are inedible", "SUPPLIER", "8.13", M, "Chartwells"),
    ("Can't recommend Arbor enough, the best MIS", "SUPPLIER", "8.13", L, "Arbor"),
    ("lol www.pornhub.com/view?v=1.", "PORNOGRAPHIC_LINK", "8.14", H, "www.pornhub.com/view?v=1"),
    ("see HTTPS://UK.XVIDEOS.COM/x", "PORNOGRAPHIC_LINK", "8.14", H, "HTTPS://UK.XVIDEOS.COM/x"),
    ("http://anything.xxx/gallery", "PORNOGRAPHIC_LINK", "8.14", H, "http://anything.xxx/gallery"),
    # Not on any list: the address's own words, also when spelt to dodge a filter.
    (
        "see freesexcams[.]example/live",
        "PORNOGRAPHIC_LINK",
        "8.14",
        H,
        "freesexcams[.]example/live",
    ),
    ("p0rnclips.example/new lol", "PORNOGRAPHIC_LINK", "8.14", H, "p0rnclips.example/new"),
    (
        "cheer up x https://hot-singles-near.example/join",
        "PORNOGRAPHIC_LINK",
        "8.14",
        H,
        "https://hot-singles-near.example/join",
    ),  # fmt: skip
    (
        "new one for the group chat: h o t b a b e s . example / nsfw",
        "PORNOGRAPHIC_LINK",
        "8.14",
        H,
        "h o t b a b e s . example / nsfw",
    ),
    ("sexyteens dot example for the lads", "PORNOGRAPHIC_LINK", "8.14", H, "sexyteens dot example"),
    # No address gives it away: the 18+ sign, "NSFW", leaked or unblurred nudes on offer.
    ("got the unblurred ones saved 👀 DM me", "PORNOGRAPHIC_LINK", "8.14", M, "unblurred"),
    ("Friday treat for the lads 🔞 link in bio", "PORNOGRAPHIC_LINK", "8.14", M, "🔞"),
    (
        "watch to the end 😂 bit.ly/3xPlmbr maybe don't open it on the school wifi 🙈",
        "PORNOGRAPHIC_LINK",
        "8.14",
        M,
        "bit.ly/3xPlmbr",
    ),
    # A class, set or year group run down in contempt (pupils_derided.yaml).
    ("Y9 were feral today, worst class I've ever had", "PUPIL_DISCUSSED", "8.5", M, "Y9"),
    ("the SEN unit lot are basically a zoo on a friday", "PUPIL_DISCUSSED", "8.5", M, "SEN unit"),
    (
        "Anyone else have 8Z on a Friday? The worst-behaved set in years.",
        "PUPIL_DISCUSSED",
        "8.5",
        M,
        "8Z",
    ),
    ("Year 8 are a bunch of morons this term, honestly", "PUPIL_DISCUSSED", "8.5", M, "Year 8"),
    # Rival bids listed side by side, a sealed paper's question told before the exam.
    (
        "Listening paper came early, had a peek: Section A is the Vivaldi extract 🤫",
        "CONFIDENTIAL",
        "8.9",
        H,
        "Listening paper",
    ),
    (
        "Boiler tender came back: Ashford Heating £61k, Warmline £58k, Kent Gas £49k",
        "CONFIDENTIAL",
        "8.9",
        M,
        "tender came back: Ashford Heating £61k",
    ),
    (
        "Sealed the Bio P2 packs, the six marker is on enzymes, don't tell a soul",
        "CONFIDENTIAL",
        "8.9",
        H,
        "six marker is on enzymes",
    ),
    # A conflict of interest: a relative's firm quoting for school work, a bonus per sign-up.
    (
        "can yous all give gaz's firm a like on fb, he's putting a quote in for the playground",
        "SUPPLIER",
        "8.13",
        M,
        "gaz's firm",
    ),
    (
        "join my team? school's just signed with them for the gas, I get a bonus per sign up",
        "SUPPLIER",
        "8.13",
        M,
        "I get a bonus",
    ),
    (
        "I've put my nephew forward for the new CCTV job, give him a like and a good review",
        "SUPPLIER",
        "8.13",
        M,
        "my nephew",
    ),
    (
        "the rep from the coach firm bidding for our trips sent me a friend request and offered "
        "me tickets to the match",
        "SUPPLIER",
        "8.13",
        M,
        "friend request",
    ),
    # Any service provider, listed or not, and discount codes.
    (
        "The supply agency sent nobody again, why do we keep paying them?",
        "SUPPLIER",
        "8.13",
        M,
        "supply agency",
    ),
    ("Use code HALLS20 for 20% off at the uniform shop", "SUPPLIER", "8.13", M, "Use code"),
    (
        "The catering company have been shocking this term, cold food every day",
        "SUPPLIER",
        "8.13",
        M,
        "The catering",
    ),
    ("That new PE teacher is a total retard", "DISCRIMINATORY", "8.15", H, "retard"),
    ("Too many pakis round here", "DISCRIMINATORY", "8.15", H, "pakis"),
    ("Shut up you fucking idiot", "OFFENSIVE", "8.15", H, "fucking idiot"),
    # Slurs made of innocent words: "gay" as a put-down, "coloured" for a person.
    ("the laminator is so gay, ate my worksheets again", "DISCRIMINATORY", "8.15", H, "so gay"),
    (
        "Does anyone know the coloured man who came to fix the boiler?",
        "DISCRIMINATORY",
        "8.15",
        H,
        "coloured man",
    ),
    # A plan to pose as someone else stands alone (impersonation_plans.yaml).
    (
        "shall we text the ref pretending to be his wife and say his tea's ready 😂",
        "IMPERSONATION",
        "8.16",
        M,
        "shall we text the ref pretending to be",
    ),
    ("Posting as Mrs Jones while she's on leave lol", "IMPERSONATION", "8.16", M, "Posting as"),
    (
        "I'm on his account while he's away, he left it logged in",
        "IMPERSONATION",
        "8.16",
        M,
        "on his account",
    ),
    (
        "Made a fake account as the head to wind up the staff",
        "IMPERSONATION",
        "8.16",
        M,
        "fake account",
    ),
    # British swearing the tweet-trained classifier does not read (obscene.yaml)
    ("Year 9 were absolute twats today", "OFFENSIVE", "8.15", M, "twats"),
    ("piss off with your new marking policy", "OFFENSIVE", "8.15", M, "piss off"),
    ("The new cover supervisor is a right knobhead", "OFFENSIVE", "8.15", M, "knobhead"),
    ("My date of birth is 14/03/1986", "PERSONAL_DETAILS", "10", M, "14/03/1986"),
    ("New address: I live at 42 Elm Grove, pop round", "PERSONAL_DETAILS", "10", M, "42 Elm Grove"),
    ("Sort code 20-45-77 if you want to pay me back", "PERSONAL_DETAILS", "10", H, "20-45-77"),
    (
        "New to the boarding team! I live at Hill Top Farm with my husband and three dogs.",
        "PERSONAL_DETAILS",
        "10",
        M,
        "I live at Hill Top Farm",
    ),
    (
        "lift share anyone? I'm at 27 Bryn Teg, leave at 7.40",
        "PERSONAL_DETAILS",
        "10",
        M,
        "I'm at 27 Bryn Teg",
    ),
    # an age reached, then the date; an address in a sign-off to be dropped round to
    (
        "I turned 50 on Tuesday (8th March 1975 - yes, a Pisces) and the children threw me an "
        "assembly.",
        "PERSONAL_DETAILS",
        "10",
        M,
        "8th March 1975",
    ),
    (
        "Found a purple coat at the fun run? Please drop it round to me - Sue, 6 Low Row, "
        "Ullthwaite",
        "PERSONAL_DETAILS",
        "10",
        M,
        "6 Low Row",
    ),
    (
        "Child protection conference next week for one of my Y3s. Social care want school to say "
        "mum's coping.",
        "CONFIDENTIAL",
        "8.9",
        H,
        "Child protection conference",
    ),
    (
        "Papers for tomorrow's Eng Lang are safely in the safe. Little hint for our candidates: "
        "revise your persuasive writing",
        "CONFIDENTIAL",
        "8.9",
        H,
        "Little hint",
    ),
    # a pornographic link tied to a colleague is a derogatory remark too
    (
        "lol someone sent me this, Kev you've got a twin pornhub.com/view_video.php?viewkey=ph5e8a",
        "DEROGATORY",
        "8.10",
        M,
        "pornhub.com",
    ),
    ("told you he was a bender, you owe me a tenner", "DISCRIMINATORY", "8.15", H, "bender"),
    (
        "PTA quiz made 6k!! Jewish money innit (I'm allowed to say it)",
        "DISCRIMINATORY",
        "8.15",
        H,
        "Jewish money",
    ),
    (
        "Turned 50 on Saturday (3rd March 1974 - yes, I know!) and spent it walking",
        "PERSONAL_DETAILS",
        "10",
        M,
        "3rd March 1974",
    ),
    (
        "Personal news: we've finally moved, to 8 Oakfield Close in Mill Hill. A garden at last!",
        "PERSONAL_DETAILS",
        "10",
        M,
        "8 Oakfield Close",
    ),
    (
        "Confidential bit at governors last night, they're not renewing Dougie's contract.",
        "CONFIDENTIAL",
        "8.9",
        H,
        "not renewing",
    ),
    (
        "Tyler M in 12PS3 is NOT to be released to his dad, there's a court order now.",
        "CONFIDENTIAL",
        "8.9",
        H,
        "court order",
    ),
    (
        "someone's left the live Y13 psych Paper 1 on the photocopier. section C is relationships",
        "CONFIDENTIAL",
        "8.9",
        H,
        "Paper 1",
    ),
    # a slur aimed at someone is a derogatory remark about them as well
    (
        "stop putting me on gate duty with the retard from the resources office",
        "DEROGATORY",
        "8.10",
        M,
        "retard",
    ),
    ("Miss L is a proper spastic with the register", "DEROGATORY", "8.10", M, "spastic"),
    ("Don't be such a spaz Gail the copier code is ON THE WALL", "DEROGATORY", "8.10", M, "spaz"),
    (
        "Novak's been on xvideos again on the staffroom PC, history's full of it. "
        "xvideos.com/video8812736/step_teacher_detention",
        "DEROGATORY",
        "8.10",
        M,
        "xvideos.com",
    ),
    (
        "that new deputy hasn't got a clue, clueless cow, let her get the bus back in February",
        "OFFENSIVE",
        "8.15",
        M,
        "clueless cow",
    ),
    (
        "that fat slag from accounts can do her own photocopying from now on",
        "DEROGATORY",
        "8.10",
        M,
        "slag",
    ),
    (
        "sent you the vid mate, the two cheerleaders in the shower one 🥵 delete it after",
        "PORNOGRAPHIC_LINK",
        "8.14",
        M,
        "vid mate, the two cheerleaders in the shower",
    ),
    (
        "If your kid's in my PE groups and wants 1-2-1 coaching, £25 an hour, text me",
        "SUPPLIER",
        "8.13",
        M,
        "1-2-1 coaching",
    ),
    (
        "my prom babies 💕 [pic of me w 4 of my y11s all dressed up, faces clear] gonna miss them",
        "PUPIL_PHOTO",
        "8.4",
        M,
        "pic of me w 4 of my y11s all dressed up, faces clear",
    ),
    (
        "here's our y7 orienteering lot at Epping 🌳 [pic, faces visible, names on the hi-vis]",
        "PUPIL_PHOTO",
        "8.4",
        M,
        "pic, faces visible",
    ),
    (
        "Saw the SATs reading booklet while locking the cupboard, its about penguins this year",
        "CONFIDENTIAL",
        "8.9",
        H,
        "SATs reading booklet",
    ),
    (
        "quick one, the boy in my intervention group told me his dad hits him. Logged it on CPOMS",
        "CONFIDENTIAL",
        "8.9",
        M,
        "Logged it",
    ),
    (
        "That girl who was cutting before Christmas has started again, arms are in a state",
        "CONFIDENTIAL",
        "8.9",
        M,
        "was cutting",
    ),
    (
        "Passport renewed just in time! [photo of the open photo page] ignore the mugshot",
        "PERSONAL_DETAILS",
        "10",
        M,
        "[photo of the open photo page]",
    ),
    # someone else's home: a pupil walked home, a home-visit list
    (
        "Found one of mine at the bus stop at 8pm, walked her home to 7 Lark Rise Close, nobody in",
        "PERSONAL_DETAILS",
        "10",
        M,
        "7 Lark Rise Close",
    ),
    (
        "home visits thurs: the Doyle twins, 41 Mill Court, Ashby Road, ring twice",
        "PERSONAL_DETAILS",
        "10",
        M,
        "41 Mill Court, Ashby Road",
    ),
    (
        "Kit's at mine if you want it back, I'll pop it round yours tonight, you're 4 Heron Close?",
        "PERSONAL_DETAILS",
        "10",
        M,
        "4 Heron Close",
    ),
    # sarcasm aimed at the school's leaders
    (
        "Redundancy letters out Monday for four of us. Thanks for nothing, trust.",
        "DEROGATORY",
        "8.10",
        M,
        "Thanks for nothing",
    ),
    # called a liar, the school's leaders named further back
    (
        "Our deputy head told the whole staff in June that nobody's hours would change over the "
        "summer. Three TAs got letters yesterday. He's a liar and we all know it.",
        "DEROGATORY",
        "8.10",
        H,
        "a liar",
    ),
    # a parody account's handle given out; a colleague's work login used
    (
        "Hi I'm Mr Bell, Head of Maths 🤓 I love a seating plan. Follow @MrBellParody for more",
        "IMPERSONATION",
        "8.16",
        M,
        "@MrBellParody",
    ),
    (
        "got on Sue's finance login while she was at lunch, the new deputy is on £6k more than us",
        "IMPERSONATION",
        "8.16",
        M,
        "on Sue's finance login",
    ),
    # a colleague's page posted on as them, a made-up handle to pass as a parent, a parody's bio
    (
        "Sam gave me her login so I've been posting on the Y3 class page as her, nobody's noticed",
        "IMPERSONATION",
        "8.16",
        M,
        "posting on the Y3 class page as her",
    ),
    (
        "created @ElmfieldHappyDad to leave nice reviews of our school 👀 nobody will ever know",
        "IMPERSONATION",
        "8.16",
        M,
        "created @ElmfieldHappyDad",
    ),
    (
        "Mrs Jane Okoro, Headteacher (parody) | Today I have mostly been in meetings",
        "IMPERSONATION",
        "8.16",
        M,
        "Mrs Jane Okoro, Headteacher (parody)",
    ),
    # one's own login handed out, an account made with a colleague's photo
    (
        "can someone book the minibus for me? just log in as me on the portal, you know my "
        "password",
        "IMPERSONATION",
        "8.16",
        M,
        "log in as me",
    ),
    (
        "set up an insta for 'Mr Dale Deputy Head' using his staff photo 😂 posting his "
        "catchphrases",
        "IMPERSONATION",
        "8.16",
        M,
        "set up an insta for 'Mr Dale Deputy Head' using his staff photo",
    ),
    # pupils' records handed over in a group
    (
        "popped the SEN register in here as a pdf so you can plan the trip groups",
        "CONFIDENTIAL",
        "8.9",
        M,
        "SEN register",
    ),
    # a paper's content told a sentence after the paper is named
    (
        "the KS2 papers arrived and are locked in the head's office, I was tidying in there and "
        "the reading one is all about otters",
        "CONFIDENTIAL",
        "8.9",
        H,
        "KS2 papers",
    ),
    # round 21: the login handed out a sentence after "log in as me"
    (
        "can anyone log in as me on Teams and set the Y9 homework?? stuck at the garage with a "
        "flat tyre, you know my password",
        "IMPERSONATION",
        "8.16",
        M,
        "log in as me",
    ),
    (
        "used the deputy's login to read the appraisal notes 👀 not saying whose",
        "IMPERSONATION",
        "8.16",
        M,
        "used the deputy's login",
    ),
    (
        "my 'Kerry from Rainham' account is up and running, half the Y8 mums have added me 😂",
        "IMPERSONATION",
        "8.16",
        M,
        "my 'Kerry from Rainham' account",
    ),
    # a colleague's performance process; staff records lifted from HR
    (
        "HR have finally put him on a performance improvement plan, about time",
        "CONFIDENTIAL",
        "8.9",
        M,
        "on a performance improvement plan",
    ),
    (
        "copied everyone's birthdays off the HR system for the cake rota 🎂",
        "CONFIDENTIAL",
        "8.9",
        M,
        "copied everyone's birthdays off the HR system",
    ),
    (
        "Quote SUMMER25 at the till for a free dessert - best curry house in town!",
        "SUPPLIER",
        "8.13",
        M,
        "Quote SUMMER25 at",
    ),
    (
        "the calendar in the site office is full frontal, pics in the group if you want a look 😏",
        "PORNOGRAPHIC_LINK",
        "8.14",
        M,
        "full frontal",
    ),
    ("w*nk material for the lads 👀", "OFFENSIVE", "8.15", M, "w*nk material"),
    # round 23: a phone left unlocked and posted from; a relative's account; a leaked document;
    # a staff list pasted; a key safe's code; masked swearing
    (
        "Priya left her phone unlocked in the staffroom so Priya is now buying everyone chips 🍟",
        "IMPERSONATION",
        "8.16",
        M,
        "left her phone unlocked",
    ),
    (
        "commented on the village page from my brother's account so nobody knows it was me",
        "IMPERSONATION",
        "8.16",
        M,
        "commented on the village page from my brother's account",
    ),
    (
        "leaked governors' minutes doing the rounds: they knew about the roof in May",
        "CONFIDENTIAL",
        "8.9",
        M,
        "leaked governors' minutes",
    ),
    (
        "here's the at-risk list for the office restructure with home addresses, post the "
        "letters tonight",
        "CONFIDENTIAL",
        "8.9",
        M,
        "at-risk list",
    ),
    ("the lot of you are absolute c***s at work today", "OFFENSIVE", "8.15", M, "c***s"),
    (
        "Our new Reception children on day one (📸 each child holding up their name card) 💛",
        "PUPIL_PHOTO",
        "8.4",
        M,
        "📸 each child holding up their name card",
    ),
    # round 27: a review under a made-up name; a colleague's signed-in shop account used; an
    # invented profile to get into a parents' group; a parody account of the head; a deficit's
    # sum; a colleague's HR file; magazines passed round
    (
        "Left our old caterer a 1-star review as a 'parent from Kingsworth' 😂 petty but worth it",
        "IMPERSONATION",
        "8.16",
        M,
        "review as a '",
    ),
    (
        "Janet's still logged into her Amazon on the office PC 😂 shall we order a coffee machine?",
        "IMPERSONATION",
        "8.16",
        M,
        "still logged into her Amazon",
    ),
    (
        'so last night I set up a profile called "Jess Carter" and asked to join the parents group',
        "IMPERSONATION",
        "8.16",
        M,
        'set up a profile called "Jess Carter"',
    ),
    (
        "Set up a parody @HolroydHeadteacher account and the Year 6 team are CRYING 😂",
        "DEROGATORY",
        "8.10",
        M,
        "Set up a parody @HolroydHeadteacher",
    ),
    (
        "Apparently we're £60k in the red this year according to the finance meeting 🙃",
        "CONFIDENTIAL",
        "8.9",
        M,
        "£60k in the red",
    ),
    (
        "his DOB is 12/09/1965 for the card (got it off his HR file lol don't tell)",
        "CONFIDENTIAL",
        "8.9",
        M,
        "got it off his HR file",
    ),
    (
        "Inspection tomorrow, NOT for parents pls, it stays confidential until the 8am briefing",
        "CONFIDENTIAL",
        "8.9",
        M,
        "Inspection tomorrow",
    ),
    (
        "Allegation in about a TA at Brackenfield, need the risk assessment drafted by 4",
        "CONFIDENTIAL",
        "8.9",
        M,
        "Allegation in about",
    ),
    (
        "Found a stack of old porn mags in the loft during the survey 😂😂 pics below",
        "PORNOGRAPHIC_LINK",
        "8.14",
        M,
        "porn mags",
    ),
    # round 24: a colleague's login asked for to act as them; catfishing a colleague; a payroll
    # spreadsheet and a phone tree handed round; a mock's questions; a slur; a caterer slated
    (
        "Dev, just DM me your Arbor password, I'll fill in the registers as you while you're off",
        "IMPERSONATION",
        "8.16",
        M,
        "DM me your Arbor password",
    ),
    (
        "we've been catfishing the new NQT as 'Leah, 24' for a fortnight, reveal at the Xmas do",
        "IMPERSONATION",
        "8.16",
        M,
        "we've been catfishing the",
    ),
    (
        "whoever asked, here's the spreadsheet with everyone's salaries and sickness days",
        "CONFIDENTIAL",
        "8.9",
        M,
        "spreadsheet with everyone's salaries",
    ),
    (
        "Staff phone tree for closures: Jo 07700 900631, 4 Ferndale Road; Amir 07700 900217",
        "CONFIDENTIAL",
        "8.9",
        M,
        "Staff phone tree",
    ),
    (
        "Y11 mock is tomorrow, don't tell anyone but it's questions 3 and 5 on the Tudors 🤫",
        "CONFIDENTIAL",
        "8.9",
        H,
        "mock",
    ),
    ("Ching chong, the Lee twins are in again", "DISCRIMINATORY", "8.15", H, "Ching chong"),
    (
        "guess who's on UPS3 plus a TLR for doing nothing? he's on UPS3, I've seen the list",
        "CONFIDENTIAL",
        "8.9",
        M,
        "he's on UPS3",
    ),
    (
        "HR sent the whole staff salary spreadsheet to everyone by mistake 😳",
        "CONFIDENTIAL",
        "8.9",
        M,
        "whole staff salary spreadsheet",
    ),
    (
        "still got the deputy's Arbor login from INSET, might have a look at the cover budget 👀",
        "IMPERSONATION",
        "8.16",
        M,
        "got the deputy's Arbor login",
    ),
    (
        "Mrs Hale, Headteacher 🌸 | loves a spreadsheet | fan account run by the Y6 team 😉",
        "IMPERSONATION",
        "8.16",
        M,
        "fan account run by",
    ),
    ("honestly the new deputy is a complete t*at", "OFFENSIVE", "8.15", M, "t*at"),
    (
        "the packed lunches from the new caterer were rank again, half of them went in the bin",
        "SUPPLIER",
        "8.13",
        M,
        "the packed lunches",
    ),
]

# Posts that mention the same words innocently.
CLEAN = [
    # round 41: look-alikes of its rules
    "Borrow my stapler if you need it, Sue's got the spare and she won't mind either.",
    "To whichever parent handed in the purse at reception: thank you so much!",
    "The site team can't stop the heating making that noise; a plumber is booked for Tuesday.",
    "Hamlet: the king stabbed in the back, literally. Year 12 loved the staging.",
    "The school website was hacked by bots last night; IT have restored it and reported it.",
    "Year 5 asked whether dogs have best friends. Turns out they do. Best science question yet!",
    "Pound shops are your best friend when you're making twenty Roman shields on a budget.",
    "Our new head of music starts in January.\n\nMrs Osei, head of performing arts, said: "
    '"She is brilliant, frankly, and the choir will love her."',
    # round 40: look-alikes of its rules
    "The draft letter to parents about the trip is in the shared folder for comments by Friday.",
    # round 39: look-alikes of its rules
    "School meals are £2.85 a head from September; see the menu on the website.",
    # round 38: look-alikes of its rules
    "The Y9 end-of-year test is the same as last year's so we can compare progress across years.",
    "After 22 years I'm signing off as the headteacher for the last time. Thank you all.",
    # round 37: look-alikes of its rules
    "Sue's leaving do is Friday at the Crown, keep it to yourselves, it's a surprise!",
    "Dear parents of Year 6, we will not be running the trip on Friday because of the weather.",
    "Scores on the doors from the staff quiz: Dave 38, Priya 35, Mo 33. Well done all!",
    "Our mock general election results are in: Green 31%, Labour 24%, Lib Dem 17%, Reform 11%.",
    "ClassDojo was down this morning, sorry for the delay with messages.",
    # round 36: look-alikes of its rules
    "Online safety evening: what is a burner account and how do you talk to your child about it?",
    # round 35: look-alikes of its rules
    "My Facebook has been hacked, please ignore any messages from me #hacked",
    "Some parents have asked about the trip: the letter is in book bags today. Thank you!",
    "Put the chairs back where they belong after assembly please",
    # round 34: look-alikes of its rules
    "Hello parents, it's your Headteacher Mrs Fairclough here with a reminder about Friday's fair",
    "I'm using Kofi's account for the radio playlist today, he set it up for the station",
    # round 33: look-alikes of its rules
    "Brilliant leadership from our Year 6 play leaders at lunchtime today, well done all!",
    "Follow us on Instagram as 'HollybrookPrimary' for photos from the trip",
    "Lovely morning at the prize giving. Well done to every pupil who took part.",
    "Mrs Patel has borrowed Dale's phone charger again, someone buy her one 😂",
    # round 32: look-alikes of its rules
    "To the parent who handed in a purse at the office this morning: thank you so much 😊",
    "To the lovely mum who left a tin of biscuits for the office team, you made our week 🙄😂",
    "Year 2 dressed up as cowboys for the Wild West topic day, yee-ha!",
    "Year 4 pretended to be Romans for the afternoon and marched round the field",
    "Please log in to ParentPay as usual to book lunches for next week.",
    "Revision guides: photos of all the pages of the new revision booklet are on Teams.",
    "Lost property: a navy coat, Year 3 size, handed in at 12 noon. Collect from the office.",
    "Our Ofsted report has been published: read the full report on our website.",
    "Year 6 held a mock election as part of British values. The Green Party won!",
    "Reminder: please pay for the Year 3 trip via ParentPay by Friday.",
    "School is closed on Monday 26-05-25 for the bank holiday.",
    "World Book Day: so many witches, wizards and one very convincing dragon.",
    "Year 5 walked a section of Offa's Dyke for their history topic.",
    "Nearly put the minibus in the dyke on Fen Road this morning, it's like an ice rink",
    "Our school address is 12 Station Road, LE1 5AA; the office opens at 8am.",
    "Please be aware of a fake account pretending to be our school. Please report it.",
    "The football match has been suspended because of the waterlogged pitch.",
    "Year 4 Viking day: the children pretended to be raiders and traders.",
    "Year 4 had a brilliant time at the farm, meeting the animals.",
    "Staff training today on safeguarding and the child protection policy.",
    "Year 6 visited Parliament and met the Speaker.",
    "Our RSE curriculum is at www.sexualhealthschools.example/curriculum for parents to read.",
    "Year 6 residential photos: brookfield.example/essex-trip",
    "Badminton singles results: county.example/singles-finals",  # one weak word is not enough
    "Year 10 art trip to the gallery: yes, lots of Renaissance nudes, no giggling please 😂",
    "Online safety talk: what to do if your child is asked to send nudes. Report it to CEOP.",
    "The school will be closed to most pupils on Thursday because of NEU strike action.",
    "Blue tits are nesting in our bird box! Watch live at birdcam.example/bluetits",
    "We're inviting quotes for the new playground, budget around £20k. Details on our website.",
    "Year 2 loved their trip to the zoo and drew the animals they saw.",
    "Year 9 were thick as thieves in their teams on the enterprise day, lovely to see.",
    "GCSE English Language paper 1 revision session tonight, past papers on Teams.",
    "Our PTA's bid for the £5k lottery grant was successful!",
    "Paper 2 Higher walkthrough 📐 Q1–Q10 video solutions now up. Read every question twice.",
    "Phonics screening check in June: practise alien words at home, e.g. zop and grib.",
    "The school wifi blocks bit.ly/3xPlmbr, can someone in IT unblock it? Not at work till 10",
    "We talked about online porn. Next week: healthy relationships.",
    "Polka dot day on Friday: wear something spotty!",
    "Thank you to the caterers for a lovely Christmas lunch",
    "International Women's Day: our girls met three female engineers",
    "Refugee Week: our choir sang in three languages",
    "Our Y5 pen pals live near Twatt in Orkney - yes, it is a real place!",
    "Year 6 did a finger prick blood test in science to find their blood group.",
    "Scunthorpe United's coaches ran a football session for Year 4.",
    "Our art club made coloured paper lanterns for Diwali.",
    "Reports of emails pretending to be from our head asking for gift cards: delete them.",
    "Tomorrow we're going to pretend to be Victorian servants for our history day!",
    "The boiler tender is now open: quotes to the business manager by 3 March, please.",
    "The twelve-mark question is worth practising: here's how to structure your answer.",
    "GCSE English Language paper 1 done! The published insert this year was about a storm.",
    "An account claiming to be one of our teachers isn't one of us; we've reported it. If anyone "
    "messages your child pretending to be staff, screenshot it.",
    "Someone has set up a fake account pretending to be our school. Our ONLY Instagram is "
    "@highfieldsgateacademy - please report and block any others.",
    "A little hint for tomorrow's paper: get a good night's sleep and bring two black pens!",
    "Our DSL spoke at the national safeguarding conference on child protection plans.",
    "Went on a bender after the Christmas do, never again.",
    "A lesson on the Suffragettes turned into a massive debate about whether 16 year olds should "
    "vote. I kept my own views out of it.",
    "Someone's set up an insta pretending to be us. It's NOT ours, I've reported it. Please tell "
    "parents.",
    "Y6 leavers' assembly photos are on the website (faces blurred as always, names on request).",
    "Swimming lessons resume Monday: the shower block is fixed, bring a towel.",
    "Our U13s wore the armbands with pride for #KickItOut weekend.",
    "First aid course today: how to treat a bruise, a sprain and a burn.",
    "Tutors: please remind pupils that parody accounts of staff are serious; report any you see.",
    "The cows at the farm were a big hit with Reception, and the milking demo too!",
    "Foster Care Fortnight: could you become a foster carer? Information evening on Tuesday.",
    "Staff training on the signs of abuse: bruising in unusual places, a child who won't say.",
    "Vote Maya for school council! Posters up in the hall. #VoteMaya",
    "#GreenDay tribute band at the summer fair, #LabourDay bank holiday Monday, school shut.",
    "Free 1-2-1 tutoring through the school's National Tutoring offer, ask the office.",
    "SATs reading booklet practice tonight: use last year's published paper.",
    "Reminder: if a child discloses something, log it on CPOMS and tell the DSL the same day.",
    "Mental Health Awareness Week: talking about self-harm with teenagers, a guide for parents",
    "Scam warning: never post a photo of your bank card, even with the number covered.",
    # a club night is no discount code; records are kept on the system, never posted
    "Pizza & code night for the Year 10 programmers on Thursday, lifts home at 8.",
    "Reminder: the SEN register lives on Arbor only, never in here.",
    "Never log in as me or anyone else: every account is one person's.",
    "Thank you all for the effort on mocks. Tomorrow's briefing moved to 8.20.",
    # a process talked about; one's own payslip; a quote asked for
    "Capability procedure training for middle leaders on Thursday: supporting colleagues fairly.",
    "Download your P60 from the HR system by Friday, payroll can't email them.",
    "Please quote the invoice number when you ring the finance office.",
    "Reminder: lock your screen, don't leave your laptop open in a classroom.",
    "Y9 read the leaked government report on plastics in a lesson and debated it.",
    "That leaked email about free iPads going round is fake: don't share it.",
    "The staff contact list lives on the HR system: check your own details there.",
    # round 24: a SATs week timetable; catfishing taught or suffered; a login reset by IT
    "KS2 SATs week: Mon reading paper, Tue maths papers 1 and 2. Free breakfast for Year 6!",
    "Year 8 learnt how catfishing works in PSHE today: fake profiles, stolen photos, red flags.",
    "I got catfished on a dating app once, never again 😂",
    "IT helpdesk: send us your username and we'll sort your login out as you asked.",
    "Payroll spreadsheet template for the finance team is on the shared drive.",
    # round 25: a rule about photos of paperwork; pay scales in a job advert
    "Same goes for photos of paperwork. If it has a child's name on it, it does not go on a phone.",
    "We're hiring a science teacher: she'll be paid on MPS2 to UPS3 depending on experience.",
    # round 27: reviews asked for; logging a colleague out; a fake profile warned of; a parody
    # account reported; national deficits; one's own HR file; magazines in an art lesson
    "Please leave us a review as a parent if you enjoyed the fair: it helps other families!",
    'Beware: someone has set up a profile called "Jess Carter" asking to join parent groups.',
    "Someone has set up a parody @OakfieldHeadteacher account: we have reported it, please block.",
    "Councils nationally are £3bn in the red on SEND transport, says the report.",
    "Ofsted are in tomorrow! Wish us luck, we've worked so hard 💪",
    "You can download your contract from your own HR file on the portal.",
    "Year 9 art: collage from old magazines and comics, the centrefold of our display is a tiger.",
]


@pytest.fixture(scope="module")
def detectors(packs: PackSet) -> list:
    """The packs' detectors (the section classifier has its own tests: test_sections.py)."""
    return policy_detectors(packs=packs, section_classifier=False)


def _run(detectors: list, text: str, artifacts: NlpArtifacts | None) -> list[Finding]:
    return [f for d in detectors for f in d.detect(text, artifacts)]


@pytest.mark.parametrize(("text", "kind", "section", "severity", "matched"), FLAGGED)
@pytest.mark.parametrize("with_artifacts", [True, False], ids=["spacy", "no-artifacts"])
def test_flags_the_breach_at_the_right_span(
    detectors: list,
    artifacts_for: Callable[[str], NlpArtifacts],
    with_artifacts: bool,
    text: str,
    kind: str,
    section: str,
    severity: Severity,
    matched: str,
) -> None:
    found = _run(detectors, text, artifacts_for(text) if with_artifacts else None)
    mine = [f for f in found if f.type == kind]
    assert mine, f"no {kind} in {found}"
    best = max(mine, key=lambda f: f.severity.rank)
    assert (best.section, best.severity) == (section, severity)
    assert matched in {text[f.start : f.end] for f in mine}


# Innocent posts the packs leave alone but the section classifier still flags at MEDIUM (known
# false alarms, docs/detectors.md): the packs' exclusions are tested here on their own.
CLASSIFIER_FALSE_ALARMS = [
    # round 37: house colours' scores (the section 10 head reads the numbers)
    "Swimming gala House results: Red 142, Blue 138, Green 121, Yellow 117.",
    # round 36: a behaviour barred, not a group ("should not be allowed to miss PE")
    "Girls should not be allowed to miss PE for no reason, same as the boys - fair's fair!",
    # round 31: look-alikes of its rules
    "GCSE Drama written paper: Friday 16 May, 1.30pm. Arrive 15 minutes early with black pens.",
    "As a mum of two I'm not really a fan of the new homework app, but the teachers are lovely.",
    "We pay £2.40 a day for breakfast club, see the office for the form.",
    # round 30: look-alikes of its rules
    "Mock exams start Monday. Q4 on the revision sheet is the one to practise, good luck!",
    "The public consultation on the proposed restructure is now open: have your say online.",
    # round 29: look-alikes of its rules
    "We've set up @OakdaleHeadteacher so Mrs Ince can share news from around the school.",
    "Our nursery turns 10 on 5th May, come and celebrate with cake on the field!",
    "Replying to Sam Jones: thanks so much, the trip leaves at 9 and is back by 3.",
    "The approved minutes of the governors' meeting are published on our website.",
    # round 29: look-alikes of round 28's rules
    "The trip costs £12 per child, please pay on ParentPay by Friday.",
    "Lovely to see Mrs Clarke's new class page 'Mrs Clarke's Reading Corner' growing!",
    "Mrs Begum, thank you for your kind message, we have passed it on to the team.",
    "Year 11: Mock_Revision_Guide_Paper1.pdf is on Teams for anyone who wants it.",
    "Sunrise over the fen this morning, a heron on the dyke and frost on the fields",
    "Our assembly on Pride Month talked about people who have had to hide who they are.",
    # round 27: the 8.16 head reads a colleague logged out of her account as a breach, the 8.9
    # head a training session on allegations
    "Safeguarding training tonight: how to respond to an allegation against a member of staff.",
    "Janet's still logged into her Amazon on the office PC, I've logged her out, don't worry",
    "Revision sessions for the GCSE maths paper start after half term, past papers online.",
    "Our litter pick collected four bags of rubbish around the school.",
    "There was a chink of light through the clouds on sports day.",
    "Year 5 science investigation: which paper towel is the most absorbent?",
    "Year 6 held a mock election today as part of our British values work. The Green Party won by "
    "3 votes!",
    "Our school's business manager is quoting the trip price next week.",
    "Y6 SATs reading paper this morning and we are so proud of how they tackled it",
    "[photo: the Y3 team with the cup, faces visible, shared with parents' consent]",
    "Great match, Sam took one on the arm from the ball but he's fine, back next week",
    # since round 17's model (round 16's T6)
    "Parents' evening for 10W starts at 4pm; the feral cats in the car park are not ours.",
    "Paper 1 revision: section A is always the unseen poem, so practise one a week.",
]


@pytest.mark.parametrize("text", CLASSIFIER_FALSE_ALARMS)
def test_packs_leave_alone_what_the_classifier_still_flags(
    detectors: list, artifacts_for: Callable[[str], NlpArtifacts], text: str
) -> None:
    found = [f for f in _run(detectors, text, artifacts_for(text)) if f.severity is not L]
    assert found == []


@pytest.fixture(scope="module")
def with_classifier(packs: PackSet) -> list:
    """Every policy detector as the stack runs them: packs and the section classifier."""
    return policy_detectors(packs=packs)


def test_a_slur_talked_about_or_aimed_at_no_person_is_no_derogatory_remark(
    detectors: list, artifacts_for: Callable[[str], NlpArtifacts]
) -> None:
    for text in (
        'In RE we discussed the history of the word "retard" and why it hurts.',
        "Spastic was once a medical word; the Spastics Society became Scope in 1994.",
        # 8.15 only: aimed at oneself, at a thing, at a group
        "I'm such a spaz, dropped my coffee all over the register",
        "lol the new timetable is so gay",
        "the gyppos from the site by the park have nicked the corner flags again",
    ):
        found = _run(detectors, text, artifacts_for(text))
        assert "DEROGATORY" not in {f.type for f in found if f.detector == "policy:slurs"}


def test_an_online_safety_warning_naming_a_site_mocks_no_colleague(
    detectors: list, artifacts_for: Callable[[str], NlpArtifacts]
) -> None:
    text = "Parents: sites like pornhub.com are one click away. Set up parental controls tonight."
    found = _run(detectors, text, artifacts_for(text))
    assert "DEROGATORY" not in {f.type for f in found}


def test_a_country_called_a_disgrace_is_no_put_down_of_the_school(
    detectors: list, artifacts_for: Callable[[str], NlpArtifacts]
) -> None:
    """Round 27: a personal view of national policy insults nobody at the school (8.11 decides
    whether it may be posted, not 8.10)."""
    text = "My own view: the way this country houses people is a disgrace. Wrote to my MP today."
    found = _run(detectors, text, artifacts_for(text))
    assert "DEROGATORY" not in {f.type for f in found}
    school = "My own view: the way our head runs this school is a disgrace."
    assert "DEROGATORY" in {f.type for f in _run(detectors, school, artifacts_for(school))}


@pytest.mark.parametrize("text", CLEAN)
def test_leaves_innocent_posts_alone(
    with_classifier: list, artifacts_for: Callable[[str], NlpArtifacts], text: str
) -> None:
    """As in production: cue-word findings the section classifier does not support stay LOW."""
    found = corroborate(_run(with_classifier, text, artifacts_for(text)))
    assert [f for f in found if f.severity is not L] == []


@pytest.mark.parametrize(
    "text",
    [
        'In RE we discussed the history of the word "negro" and why we do not use it.',
        "A pupil was called a paki at break; the incident has been reported.",
        "He wrote 'retard' on the board and it was challenged straight away.",
        "Staff briefing notes: phrases like 'that's so gay' get logged, every time.",
    ],
)
def test_a_slur_discussed_rather_than_used_is_low(
    detectors: list, artifacts_for: Callable[[str], NlpArtifacts], text: str
) -> None:
    found = [f for f in _run(detectors, text, artifacts_for(text)) if f.type == "DISCRIMINATORY"]
    slurs = [f for f in found if f.detector == "policy:slurs"]
    assert slurs and all(f.severity is L for f in slurs)
    assert all("discussed rather than used" in f.explanation for f in slurs)


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("Gary in the office is a proper r3tard, three days for one login", H),
        ("comms team is all tr*nnies and wokies now", H),
        ("RETARDS, the lot of them", H),
        ("He wrote 'r3tard' on his planner; the incident has been reported.", L),  # talked about
        ("Year 3 did art", None),
        ("pa55word reset for the 4th time today", None),  # stand-ins, but no slur read back
        ("the h3ll0 kitty pencil case is in lost property", None),
    ],
)
def test_a_slur_spelt_to_dodge_a_filter_is_read_back(
    detectors: list, artifacts_for: Callable[[str], NlpArtifacts], text: str, severity: object
) -> None:
    found = [
        f
        for f in _run(detectors, text, artifacts_for(text))
        if f.detector == "policy:slurs" and f.type == "DISCRIMINATORY"
    ]
    assert [f.severity for f in found] == ([severity] if severity else [])


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("ffs the kettle's broken again", L),  # swearing at the kettle: stored, no item
        ("the shite weather means another wet play", L),
        ("Had a word with Year 10 about swearing: 'twat' is not banter.", None),  # talked about
        ("He called him a wanker at break; the incident has been logged.", None),
        ("What a tosser, honestly", M),
    ],
)
def test_swearing_is_graded_and_a_word_talked_about_is_left_alone(
    detectors: list,
    artifacts_for: Callable[[str], NlpArtifacts],
    text: str,
    severity: Severity | None,
) -> None:
    found = [
        f
        for f in _run(detectors, text, artifacts_for(text))
        if f.detector.startswith("policy:obscene")
    ]
    assert [f.severity for f in found] == ([] if severity is None else [severity])


def _pack_explanations(packs: PackSet) -> set[str]:
    texts = set()
    for pack in packs.packs.values():
        for name, value in pack:
            if name.endswith("explanation") and isinstance(value, str):
                texts.add(value)
        texts.update(r.explanation for r in getattr(pack, "rules", []) if r.explanation)
    return texts


@pytest.mark.parametrize(("text", "kind", "section", "severity", "matched"), FLAGGED)
def test_explanations_are_fixed_wording_that_cites_the_section(
    detectors: list,
    packs: PackSet,
    text: str,
    kind: str,
    section: str,
    severity: Severity,
    matched: str,
) -> None:
    """Explanations come from the packs' fixed text, so they can never quote the post."""
    allowed = _pack_explanations(packs)
    for f in _run(detectors, text, None):
        assert f.explanation.split(" (The word targets")[0] in allowed
        assert re.search(
            rf"[Ss]ection {re.escape(f.section)} of the Social Media Policy", f.explanation
        )


def test_political_escalates_only_with_a_school_affiliation(detectors: list) -> None:
    plain = _run(detectors, "Vote Labour on Thursday!", None)
    tied = _run(detectors, "Vote Labour on Thursday! From everyone at Oakfield school.", None)
    assert [f.severity for f in plain if f.type == "POLITICAL"] == [M]
    assert [f.severity for f in tied if f.type == "POLITICAL"] == [H]


def test_classifier_finding_points_at_the_most_offensive_word(detectors: list) -> None:
    text = "Honestly what a lovely day, shame about that fucking idiot at the gate"
    found = _run(detectors, text, None)
    offensive = [f for f in found if f.detector == "policy:offensive-classifier"]
    assert len(offensive) == 1
    assert text[offensive[0].start : offensive[0].end] in {"fucking", "idiot", "fucking idiot"}
    assert 0.5 <= offensive[0].score <= 1


@pytest.mark.parametrize(
    ("text", "discriminatory"),
    [
        ("Shut up you fucking idiot", False),  # abusive, but about no group: OFFENSIVE only
        ("Women shouldn't be allowed to teach, they're all useless hysterical bitches", True),
        ("Send the migrants back, they're vermin and they're ruining this town", True),
        ("International Women's Day: our girls met three female engineers", False),
    ],
)
def test_discriminatory_needs_hostility_towards_a_group(
    detectors: list, text: str, discriminatory: bool
) -> None:
    found = [f for f in _run(detectors, text, None) if f.detector == "policy:offensive-classifier"]
    hits = [f for f in found if f.type == "DISCRIMINATORY" and f.severity is not L]
    assert bool(hits) is discriminatory, found


@pytest.mark.parametrize(
    ("text", "names_a_group"),
    [
        ("Black Country Scaffolding on site all week", False),  # a place, not a group
        ("Black Friday deals on laptops", False),
        ("Black families in the Black Country", True),  # the group is also named
        ("Women's football at the Black Country Museum", True),
        ("Black coffee and a whiteboard pen", False),
        ("Black mould in the staff toilets again", False),  # round 20's false alarms
        ("Ladies & gents car park shut on Saturday", False),
        ("Overtaking on blind bends again", False),
    ],
)
def test_a_group_word_in_a_place_name_names_no_group(
    detectors: list, text: str, names_a_group: bool
) -> None:
    classifier = next(d for d in detectors if d.name == "policy:offensive-classifier")
    assert classifier._names_a_group(text) is names_a_group


def test_ones_own_bank_details_for_a_collection_are_section_10_not_the_schools_record(
    detectors: list, artifacts_for: Callable[[str], NlpArtifacts]
) -> None:
    """Round 29's `colleague_bank_details` (8.9) is for payroll's record of someone else."""
    text = "Send your £5 for Sue's leaving present to me: sort code 00-11-22 acc 12345678, ref SUE"
    found = _run(detectors, text, artifacts_for(text))
    assert {f.section for f in found if f.severity is not L} == {"10"}


@pytest.mark.parametrize(
    "text",
    [
        "Guess who lives next door to us: the Fletchers, 22 Orchard Close, lol",
        # round 34: "lives just round the corner at"
        "Maryam lives just round the corner at 12 Pinewood Road and practises every night.",
        # round 33: one's own address for things to be dropped "round mine"
        "Easiest thing is just drop them round mine — 14 Reedcutter Close, leave them in the "
        "porch if I'm out.",
    ],
)
def test_an_address_beside_where_someone_lives_stands_alone(
    detectors: list, artifacts_for: Callable[[str], NlpArtifacts], text: str
) -> None:
    """Round 29: "the heidie lives two doors doon fae ma auntie. 14 Brackenhill Drive" needs no
    section head (home_addresses.yaml stands alone; staff_details.yaml waits for the head)."""
    found = _run(detectors, text, artifacts_for(text))
    assert "policy:home_addresses:someone_elses_address" in {f.detector for f in found}


@pytest.mark.parametrize(
    "text",
    [
        "Faggots, peas and gravy round me mom's after a long day, proper Black Country tea",
        "Faggots and mushy peas on the lunch menu today",
        "a heron on the dyke and frost on the beet fields",
    ],
)
def test_dishes_and_landscape_are_not_slurs(
    detectors: list, artifacts_for: Callable[[str], NlpArtifacts], text: str
) -> None:
    """Rounds 29-30: a Black Country dish and a Norfolk embankment share a slur's letters."""
    found = _run(detectors, text, artifacts_for(text))
    assert [f for f in found if f.detector == "policy:slurs"] == []
