"""How questionnaires reach people: QR codes, tickets, personal links, SMS, phone."""
