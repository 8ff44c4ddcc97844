"""Bad reviews and their follow-up: cases, deadlines in working days, remedies, ratings, counts.

- cases: opening a case for a bad review, the deadline, the handler's remedy,
  the respondent's rating (by phone or on the SMS link), exclusion, the counts;
- workdays: the Chinese calendar of working days that deadlines count in.

The table is survey.models.FollowUpCase; the rating SMS is queued through
survey.channels.sms.
"""
