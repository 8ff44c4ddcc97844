"""Contact lists: reading the CSV files people export, and Chinese phone numbers.

- files: decoding (UTF-8 or GB18030) and parsing the rows, with every problem named by line;
- phones: mainland numbers as people write them, to E.164, masked for display.

Turning a file into invitations is set-up's work (survey.setup.invitations).
"""
