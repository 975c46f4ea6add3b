"""The demo's hand-written material: Ledgerly's people, what its customers write about, how
its agents answer, and the words reviewers use. reviews/demo/build.py combines these with a
seeded random generator, so every demo is the same story with its dates moved to now."""

from __future__ import annotations

from dataclasses import dataclass

PASSWORD = "carousel-demo"
DOMAIN = "ledgerly.example"


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    account: bool = True  # False: a helpdesk teammate nobody has invited yet
    address: str = ""  # the sign-in, when it is not first name @ DOMAIN

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def email(self) -> str:
        return self.address or f"{self.first.lower()}@{DOMAIN}"


@dataclass(frozen=True)
class DemoTeam:
    key: str
    name: str
    agents: tuple[Person, ...]
    topics: tuple[str, ...]
    conversations_a_week: int  # in each of the twelve weeks of history
    conversations_this_week: int  # this week's pool: the batches, and some left to pull


LEAD = Person("Alex", "Rivera", address=f"lead@{DOMAIN}")  # leads every team, answers no conversations
ADMIN = Person("Sam", "Admin", address=f"admin@{DOMAIN}")
# Leads Onboarding and answers conversations there: a lead who is also an agent.
PLAYING_LEAD = Person("Nadia", "Hussain")
DEMO_AGENT = Person("Maya", "Patel")

TEAMS = (
    DemoTeam(
        "billing",
        "Billing & Accounts",
        (
            DEMO_AGENT,
            Person("John", "Smith"),
            Person("Priya", "Raman"),
            Person("Tom", "Becker"),
            Person("Grace", "Kim"),
            Person("Daniel", "Osei"),
            Person("Hana", "Sato"),
        ),
        ("double_charge", "refund", "vat", "plan_change", "card_declined", "invoice_copy"),
        conversations_a_week=42,
        conversations_this_week=64,
    ),
    DemoTeam(
        "product",
        "Product Support",
        (
            Person("Sofia", "Alvarez"),
            Person("Lena", "Fischer"),
            Person("Omar", "Haddad"),
            Person("Kenji", "Watanabe"),
            Person("Rosa", "Marin"),
            Person("Ivan", "Petrov"),
            Person("Chloe", "Martin"),
            Person("Marco", "Bianchi", account=False),
        ),
        ("bank_feed", "recurring", "reminders", "export", "mobile_sync", "permissions"),
        conversations_a_week=40,
        conversations_this_week=62,
    ),
    DemoTeam(
        "onboarding",
        "Onboarding",
        (
            PLAYING_LEAD,
            Person("Luca", "Romano"),
            Person("Emma", "Wilson"),
            Person("Arjun", "Mehta"),
            Person("Zoe", "Laurent"),
            Person("Felix", "Braun"),
        ),
        ("import_clients", "first_invoice", "branding", "payment_setup", "trial", "team_invite"),
        conversations_a_week=30,
        conversations_this_week=44,
    ),
)

CUSTOMERS = (
    "Jordan Lee",
    "Amira Khan",
    "Lucas Moreau",
    "Ines Duarte",
    "Tobias Lund",
    "Maren Holt",
    "Kofi Mensah",
    "Yuki Tanaka",
    "Sara Novak",
    "Diego Ruiz",
    "Elif Demir",
    "Noah Brooks",
    "Freya Nilsen",
    "Ravi Iyer",
    "Olivia Grant",
    "Mateo Silva",
    "Hannah Vogel",
    "Samuel Adeyemi",
    "Clara Costa",
    "Aiden Walsh",
    "Leila Farah",
    "Jonas Berg",
    "Priscilla Tan",
    "Victor Hugo Lima",
    "Ana Sousa",
    "Marta Kowalska",
)
BUSINESSES = (
    "Brightside Plumbing",
    "Oak & Ember Studio",
    "Northwind Bikes",
    "Cedar Lane Dental",
    "Pixel Harbour",
    "Little Fern Bakery",
    "Atlas Freight",
    "Blue Door Yoga",
    "Kestrel Consulting",
    "Marlow Print Co",
    "Greenhaus Florists",
    "Summit Physio",
    "Lumen Photography",
    "Harbour Books",
    "Saffron Kitchen",
)
BANKS = ("Barclays", "Monzo", "Chase", "Revolut", "HSBC", "Wells Fargo", "ING", "Santander", "N26")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October")

# Per topic: subjects; the customer's first message; the agent's answer; what the customer
# says next; how the agent closes. {business}, {bank}, {amount}, {invoice}, {month} and
# {first} (the customer's first name) are filled in by build.py.
TOPICS: dict[str, dict[str, tuple[str, ...]]] = {
    "double_charge": {
        "subject": ("Charged twice this month", "Two payments for one subscription", "Duplicate charge on my card"),
        "customer": (
            "Hi, I just noticed two charges of {amount} on my card for {month}. We only have one Ledgerly "
            "account for {business}, so one of these must be a mistake. Can you refund it?",
            "Hello, my bank statement shows Ledgerly took {amount} twice on the same day. I'm a bit worried "
            "because money is tight this month. What happened?",
            "We were billed twice for the Pro plan. Invoice {invoice} and another one with the same amount. "
            "Please sort this out, our accountant is asking questions.",
        ),
        "agent": (
            "Sorry about this, {first}. I checked your billing history: the second charge came from a retry after "
            "your bank timed out the first attempt, and both went through. I've refunded the duplicate {amount}; "
            "it shows on your statement in 3 to 5 working days.",
            "Thanks for flagging it, {first}. You're right, there are two payments. One is a pending authorisation "
            "that your bank will drop on its own within a week, but to be safe I've voided it on our side too.",
            "I can see both charges, {first}, and I'm sorry for the worry. I've refunded the second one and added "
            "a note to invoice {invoice} so your accountant can match it.",
        ),
        "follow": (
            "Thanks. Will I get a credit note for the refund as well?",
            "OK, that makes sense. Can you make sure it doesn't happen again next month?",
            "Great, thank you. Is there anything I need to do on my side?",
        ),
        "close": (
            "Yes, the credit note is in Settings > Billing and I've emailed you a copy. Anything else I can help with?",
            "I've switched your renewal to retry only after a confirmed failure, so it shouldn't happen again.",
            "Nothing on your side. I'll keep an eye on the refund and write again if it hasn't landed by Friday.",
        ),
    },
    "refund": {
        "subject": ("Refund for unused months", "Cancel and refund annual plan", "Can I get my money back?"),
        "customer": (
            "We're closing {business} at the end of {month} and paid for a year upfront. Is it possible to get "
            "a refund for the months we won't use?",
            "I upgraded to the annual plan by mistake instead of monthly. It charged {amount}. Can this be reversed?",
            "Hi there, I signed up last week but it's not the right fit for us. Your site mentions a refund "
            "policy, how does it work?",
        ),
        "agent": (
            "I'm sorry to hear {business} is closing, {first}. Annual plans are refunded pro rata, so I've refunded "
            "the unused months. Your data stays available to export for 90 days after cancelling.",
            "No problem, {first}, that happens. I've moved you to the monthly plan and refunded the difference "
            "of {amount} minus this month's price. The refund takes a few working days to appear.",
            "Thanks for giving Ledgerly a try, {first}. Within the first 30 days we refund in full, so I've "
            "cancelled the subscription and refunded {amount}. Could you tell me what didn't fit?",
        ),
        "follow": (
            "Thank you, that's very fair. How do I export everything before then?",
            "Perfect. Will my invoices and clients stay as they are?",
            "Mostly we needed multi-currency invoices, which I couldn't find.",
        ),
        "close": (
            "Settings > Data > Export gives you a zip of invoices (PDF) and a CSV of clients and payments.",
            "Yes, nothing changes except the billing period. Everything you've created stays exactly where it is.",
            "Multi-currency is on the Pro plan: you can set a currency per client. Happy to reopen your trial for it.",
        ),
    },
    "vat": {
        "subject": ("VAT number missing on invoice", "Reverse charge for EU customers", "Tax rate shows wrong"),
        "customer": (
            "Our VAT number doesn't show on the invoices we send from Ledgerly, and a client in {month} refused "
            "to pay without it. Where do I add it?",
            "I invoice a company in Germany and it should be reverse charge, but Ledgerly keeps adding 20% VAT. "
            "How do I fix this?",
            "The tax on invoice {invoice} came out as 19% instead of 21%. Did something change in the settings?",
        ),
        "agent": (
            "Good question, {first}. The VAT number goes in Settings > Business details > Tax ID; once it's there "
            "it prints on every new invoice. For the invoice your client refused, open it and choose Regenerate PDF.",
            "You can mark the client as reverse charge, {first}: open the client, tick 'EU business (reverse charge)' "
            "and add their VAT ID. New invoices for them then show 0% with the reverse-charge wording.",
            "I had a look, {first}: invoice {invoice} used the tax rate saved on the product, which is 19%. "
            "The account default is 21%, but a product's own rate wins.",
        ),
        "follow": (
            "Found it, thanks. Does regenerating change the invoice number?",
            "That worked for new invoices. What about the three I already sent?",
            "Ah, I see. Can I update all products at once?",
        ),
        "close": (
            "No, the number and date stay the same; only the PDF is redrawn with the tax ID.",
            "For sent invoices, issue a credit note and a new invoice: the Credit button does both in one step.",
            "Yes: Products, select all, Bulk edit, Tax rate. It only affects invoices you create from now on.",
        ),
    },
    "plan_change": {
        "subject": ("Upgrade to Pro mid-month", "Downgrade our plan", "Which plan do we need?"),
        "customer": (
            "We hired two more people at {business} and need more seats. If I upgrade now, do I pay for the full "
            "month again?",
            "Hi, we don't use the time tracking any more. Can we drop to the Starter plan without losing invoices?",
            "We send about 80 invoices a month and need recurring billing. Which plan should I be on?",
        ),
        "agent": (
            "You only pay the difference for the days left, {first}. Upgrading now costs about {amount} today, "
            "then the new price from your next renewal.",
            "Of course, {first}. Downgrading keeps every invoice and client; only time entries become read-only. "
            "I've scheduled the change for your renewal date so you keep what you paid for.",
            "For 80 invoices with recurring billing, Growth fits, {first}: recurring schedules, reminders and up "
            "to 150 invoices a month. Pro adds multi-currency, which you may not need.",
        ),
        "follow": (
            "Sounds good, I'll upgrade now. Do the new people get an invite email?",
            "Thanks. Can I still export the old time entries?",
            "Great, and if we grow past 150?",
        ),
        "close": (
            "Yes, add them under Settings > Team and they get an email to set a password.",
            "Yes, Reports > Time > Export CSV keeps working on Starter.",
            "Then Ledgerly suggests the upgrade; nothing is blocked, and you'd pay the difference from that day.",
        ),
    },
    "card_declined": {
        "subject": ("Card declined at renewal", "Payment failed, account locked?", "Update card details"),
        "customer": (
            "I got an email saying my payment failed. My card is fine, I used it this morning. Why is Ledgerly "
            "declining it?",
            "Our account shows a red banner about a failed payment and I can't create invoices. We have clients "
            "waiting for {month}'s invoices!",
            "How do I change the card on file? The old one expired and I don't see where to update it.",
        ),
        "agent": (
            "I'm sorry for the trouble, {first}. The decline came from {bank} with code 'do not honour', which "
            "usually means their fraud check stopped a foreign merchant. A quick call to them, or the {bank} app, "
            "approves it, and then I can retry the payment.",
            "I understand the urgency, {first}. I've extended your account by seven days so you can invoice right "
            "away. The payment failed because the card expired; you can update it in Settings > Billing > Card.",
            "Sure, {first}: Settings > Billing > Payment method > Replace card. The next renewal uses the new card "
            "automatically.",
        ),
        "follow": (
            "I approved it in the app. Can you try again?",
            "Updated. Is the banner gone now?",
            "Done, thanks. Will you charge it right away?",
        ),
        "close": (
            "Retried just now and it went through. You'll get the receipt by email in a minute.",
            "Yes, the banner is gone and the invoice for the renewal is in Settings > Billing.",
            "No, only on your renewal date; nothing is owed until then.",
        ),
    },
    "invoice_copy": {
        "subject": ("Copy of last year's invoices", "Need invoice with company name", "Receipt for expenses"),
        "customer": (
            "Our accountant needs copies of every Ledgerly invoice we paid in the last tax year. Is there a quick "
            "way to download them all?",
            "The invoice for {month} is addressed to me personally, but it should say {business}. Can you reissue it?",
            "Can I get a receipt for my subscription? My company reimburses software expenses.",
        ),
        "agent": (
            "Yes, {first}: Settings > Billing > Invoices has a Download all button that gives you a zip of the PDFs "
            "for any date range.",
            "I've updated the billing name to {business} and reissued the {month} invoice, {first}. Future invoices "
            "will use it too.",
            "Here you go, {first}: every payment has a receipt in Settings > Billing > Invoices. I've also emailed "
            "you the one for {month}.",
        ),
        "follow": (
            "Brilliant, found it. Does it include the VAT breakdown?",
            "Thanks. Can you add our VAT number too?",
            "Got it, thanks for the quick help!",
        ),
        "close": (
            "Yes, each PDF shows net, VAT and total, with our VAT number at the top.",
            "Added; the reissued invoice now shows it. Anything else?",
            "You're welcome! Have a good week.",
        ),
    },
    "bank_feed": {
        "subject": ("Bank feed stopped syncing", "Transactions missing from bank feed", "Reconnect bank account"),
        "customer": (
            "Our {bank} feed stopped importing transactions on the 3rd. Nothing has come through since, and I "
            "can't reconcile {month}.",
            "Some payments from clients show in {bank} but not in Ledgerly, so invoices stay marked unpaid.",
            "I changed my online banking password and now Ledgerly says the bank connection needs attention.",
        ),
        "agent": (
            "Thanks, {first}. {bank} asks customers to re-approve third-party access every 90 days, and yours "
            "expired on the 3rd. Banking > {bank} > Reconnect takes a minute, and Ledgerly then fetches "
            "everything since the 3rd.",
            "I had a look, {first}: the missing payments are in the feed but were matched to no invoice because "
            "the reference differs. Banking > Unmatched lets you match them; Ledgerly remembers the pattern next time.",
            "That's expected after a password change, {first}. Choose Reconnect on the banner and sign in to "
            "{bank} again; no transactions are lost.",
        ),
        "follow": (
            "Reconnected. Will the old transactions come in too, or only new ones?",
            "That worked for two of them. One still won't match, it was a partial payment.",
            "Done, it says connected. Thanks!",
        ),
        "close": (
            "Everything since the 3rd comes in within the hour; older ones were already there.",
            "For a partial payment, open the invoice, Record payment, and pick the transaction: the rest stays due.",
            "Great. If it asks again before 90 days, let me know and I'll look at the connection logs.",
        ),
    },
    "recurring": {
        "subject": ("Recurring invoice didn't send", "Change amount on recurring invoice", "Recurring schedule wrong"),
        "customer": (
            "The monthly invoice for our retainer client should have gone out on the 1st and didn't. Did "
            "something break?",
            "We raised our prices from {month}. How do I change the amount on recurring invoices without "
            "recreating them all?",
            "A client is being invoiced every week instead of every month. I'm sure I set it to monthly.",
        ),
        "agent": (
            "Sorry about that, {first}. The schedule paused itself because the client's email bounced last month. "
            "I've fixed the address with you in mind: once you confirm it, the invoice goes out straight away.",
            "You can edit the template, {first}: Recurring > the schedule > Edit next invoice changes it for every "
            "future invoice, and past ones stay as they were.",
            "I checked the history, {first}: the schedule was saved as 'every 1 week' on the 12th. I've set it back "
            "to monthly and voided the two extra invoices, which the client never paid.",
        ),
        "follow": (
            "Ah, they changed their email. The new one is on the client now.",
            "Does that apply to all 14 recurring invoices at once?",
            "Thank you. Can I see who changed it?",
        ),
        "close": (
            "Perfect, the invoice has just gone out to the new address.",
            "Each schedule is edited on its own; with 14 the bulk price update under Recurring is quicker.",
            "Yes, Settings > Activity shows each change with who made it and when.",
        ),
    },
    "reminders": {
        "subject": ("Payment reminders too pushy", "Reminders not sending", "Customise reminder email"),
        "customer": (
            "A long-standing client complained that our reminder emails are aggressive. Can I soften the wording?",
            "Invoices are overdue but no reminders went out, although reminders are switched on.",
            "Can I stop reminders for one client only? They always pay late but they always pay.",
        ),
        "agent": (
            "Absolutely, {first}. Settings > Reminders lets you edit each of the three emails; many customers "
            "drop the third one or make it a friendly check-in.",
            "I looked into it, {first}: reminders only go to invoices sent from Ledgerly, and these were marked "
            "as sent manually. Switching 'Send reminders' on for each invoice starts them from tomorrow.",
            "Yes, {first}: open the client and untick 'Send payment reminders'. Everyone else keeps getting them.",
        ),
        "follow": (
            "Nice. Can I preview the email before saving?",
            "OK. Is there a way to turn it on for all of them at once?",
            "Perfect, that's exactly what I needed.",
        ),
        "close": (
            "Yes, the Preview button shows it with one of your real invoices filled in.",
            "Select them in the Invoices list and choose Bulk actions > Turn on reminders.",
            "Glad to help. Have a good day!",
        ),
    },
    "export": {
        "subject": ("Export to accounting software", "CSV export missing columns", "Export for my accountant"),
        "customer": (
            "My accountant uses Xero. Is there a way to get our Ledgerly invoices in there without retyping?",
            "The payments CSV has no column for the payment method, which we need for reconciliation.",
            "I need all invoices from {month} in one spreadsheet for our year-end. What's the best way?",
        ),
        "agent": (
            "Yes, {first}: Integrations > Xero syncs invoices and payments every hour once connected. Earlier "
            "invoices can be sent over in one go from the same page.",
            "Good catch, {first}. The method is in the 'Detailed' export rather than the quick one: Reports > "
            "Payments > Export > Detailed CSV.",
            "Reports > Invoices, set the dates to {month}, then Export CSV, {first}. It has one row per invoice "
            "with totals, tax and status.",
        ),
        "follow": (
            "Connected. It's asking which account to use for sales.",
            "Found it, thanks. Can that be the default?",
            "That's the one. Can it include the client's VAT number?",
        ),
        "close": (
            "Most customers pick 200 Sales; your accountant may prefer another, and it can be changed later.",
            "Not yet, but I've passed the request on to the product team.",
            "Yes, tick 'Client details' before exporting and the VAT number comes along.",
        ),
    },
    "mobile_sync": {
        "subject": ("App not syncing with web", "Mobile app shows old invoices", "Photos of receipts missing"),
        "customer": (
            "I created an invoice on my phone at a client's site, but it doesn't show on the web version.",
            "The iPhone app still shows invoices as unpaid that I marked paid yesterday on the computer.",
            "I snapped three receipts in the app this morning and they're not in Expenses on the web.",
        ),
        "agent": (
            "Thanks, {first}. The app saves offline when there's no signal and syncs once it's back online. "
            "Opening the app on wifi should send the invoice over; it kept everything.",
            "Sorry for the confusion, {first}. Pulling down on the invoice list refreshes it; the app normally "
            "updates within a minute, so I've asked our mobile team to look at your account's sync log.",
            "I can see the uploads started but didn't finish, {first}. Keeping the app open on wifi for a "
            "minute lets them complete; they're stored on the phone until then.",
        ),
        "follow": (
            "It just appeared, thanks!",
            "Pulling down worked. Is there a setting for it?",
            "They're there now. Is there a size limit on photos?",
        ),
        "close": (
            "Great. The cloud icon at the top of the app shows when something is waiting to sync.",
            "Settings > Sync > Background refresh; with it on, the app updates even when closed.",
            "Up to 10 MB each; the app shrinks bigger photos before uploading.",
        ),
    },
    "permissions": {
        "subject": ("Give bookkeeper access", "Limit what staff can see", "Remove a former employee"),
        "customer": (
            "Our new bookkeeper needs to see invoices and payments but shouldn't change our bank settings. "
            "Is there a role for that?",
            "I want our sales staff to create quotes but not see the profit reports.",
            "One of our team left {business} last week. How do I remove her access but keep her invoices?",
        ),
        "agent": (
            "There is, {first}: the Accountant role sees invoices, payments and reports and can't touch banking "
            "or billing. Settings > Team > Invite, and pick Accountant.",
            "Yes, {first}: give them the Sales role. It allows quotes and invoices but hides Reports. You can "
            "check what each role sees under Settings > Team > Roles.",
            "Sorry to hear she left, {first}. Settings > Team > her name > Remove keeps every invoice she made "
            "and signs her out everywhere.",
        ),
        "follow": (
            "Perfect. Does the bookkeeper count as a paid seat?",
            "Great. Can a role be customised?",
            "Done. Will her name still show on the old invoices?",
        ),
        "close": (
            "No, accountant seats are free on every plan.",
            "Custom roles are on the Pro plan; on Growth the three built-in roles cover most teams.",
            "Yes, invoices keep their author for your records.",
        ),
    },
    "import_clients": {
        "subject": ("Import clients from spreadsheet", "Moving from another invoicing tool", "Import failed halfway"),
        "customer": (
            "We're moving from spreadsheets. I have 300 clients in Excel. How do I get them into Ledgerly?",
            "We're switching to Ledgerly from our old invoicing tool. Can we bring our clients and open invoices?",
            "I tried to import our client list and it stopped at row 112 with an error.",
        ),
        "agent": (
            "Welcome aboard, {first}! Clients > Import accepts an Excel or CSV file; it shows a preview where you "
            "match your columns to Ledgerly's before anything is saved.",
            "Yes, {first}: Settings > Import > From another tool brings clients and open invoices across. Paid "
            "invoices can come as a CSV for your records.",
            "Thanks for sending the file, {first}. Row 112 has a client with two email addresses in one cell; "
            "once one is removed the import runs through, and the first 111 are already in.",
        ),
        "follow": (
            "The preview is great. Some clients have no email, is that a problem?",
            "Lovely. Will the invoice numbers carry over?",
            "Fixed it and it worked. Thank you!",
        ),
        "close": (
            "Not at all; email is only needed to send invoices from Ledgerly. You can add it later.",
            "Yes, and new invoices continue from your highest number, so there are no gaps.",
            "Brilliant. Shout if anything looks off once you start invoicing.",
        ),
    },
    "first_invoice": {
        "subject": ("How do I send my first invoice?", "Invoice looks wrong when printed", "Add payment link"),
        "customer": (
            "I've set up {business} and added a client. What's the quickest way to send my first invoice?",
            "When I print an invoice the logo is huge and the totals go onto a second page.",
            "Can my clients pay by card straight from the invoice email?",
        ),
        "agent": (
            "Congratulations on the first one, {first}! Invoices > New, pick the client, add a line, then Send. "
            "The client gets an email with the PDF and a link to view it online.",
            "Thanks for the screenshot, {first}. The logo uploaded at full size; Settings > Branding > Logo size "
            "set to Medium keeps everything on one page.",
            "Yes, {first}: connect Stripe under Settings > Payments and every invoice email gets a Pay now button.",
        ),
        "follow": (
            "Sent! Can I see whether they've opened it?",
            "Much better now, thanks.",
            "Connected Stripe. Who pays the card fees?",
        ),
        "close": (
            "Yes, the invoice shows 'Viewed' with the time once they open it.",
            "Great. The Preview button shows exactly what the client gets.",
            "Stripe's fee comes out of the payment; you can add a surcharge line if you prefer.",
        ),
    },
    "branding": {
        "subject": ("Change invoice colours", "Custom email sender name", "Use our own domain"),
        "customer": (
            "Our brand colour is dark green, but invoices come out blue. Where do I change this?",
            "Invoice emails come from 'Ledgerly' and clients think they're spam. Can it say {business}?",
            "Can invoices be sent from our own email domain instead of Ledgerly's?",
        ),
        "agent": (
            "Easy fix, {first}: Settings > Branding > Accent colour takes a hex code, and every template follows it.",
            "Yes, {first}: Settings > Email > Sender name. The address stays ours for deliverability, but clients "
            "see {business} as the sender.",
            "You can, {first}: Settings > Email > Custom domain walks you through two DNS records. Until they "
            "verify, emails keep going from our address.",
        ),
        "follow": (
            "Perfect, looks great now.",
            "Changed it. Does it apply to reminders too?",
            "Our IT added the records. How long does verification take?",
        ),
        "close": (
            "Glad it worked!",
            "Yes, reminders, receipts and statements all use the sender name.",
            "Usually under an hour; you'll get an email when it's done.",
        ),
    },
    "payment_setup": {
        "subject": ("Set up bank transfer details", "Accept payments in euros", "GoCardless direct debit"),
        "customer": (
            "Where do I put our bank details so they show at the bottom of each invoice?",
            "Some of our clients are in Spain. Can they pay in euros?",
            "We'd like clients on retainers to pay by direct debit. Is that possible?",
        ),
        "agent": (
            "Settings > Payments > Bank transfer, {first}. Whatever you enter prints under the totals on every "
            "invoice.",
            "They can, {first}. Set the client's currency to EUR, and if you connect Stripe they can pay by card "
            "in euros too.",
            "Yes, {first}: connect GoCardless under Settings > Payments, then turn on direct debit for each "
            "recurring schedule.",
        ),
        "follow": (
            "Done. Can I have different details for different currencies?",
            "Great. How do the euro payments show in our reports?",
            "Connected. Do clients need to do anything?",
        ),
        "close": (
            "Yes, add a second account and mark its currency; Ledgerly picks the right one per invoice.",
            "Reports show both the original amount and its value in your home currency on the payment date.",
            "They approve the mandate once from the first invoice email; after that it's automatic.",
        ),
    },
    "trial": {
        "subject": ("Trial ending, what happens?", "Extend trial please", "Data after trial"),
        "customer": (
            "My trial ends tomorrow and I haven't decided yet. Will I lose the invoices I've made?",
            "Could we have a few more days on the trial? Our director is away until next week.",
            "If we don't subscribe, what happens to the client data we entered?",
        ),
        "agent": (
            "Nothing is lost, {first}. After the trial the account becomes read-only for 30 days; subscribing at "
            "any point unlocks it with everything in place.",
            "Happy to, {first}: I've extended the trial by 14 days so your director can have a look.",
            "It's kept for 30 days in read-only mode, {first}, and you can export it any time. After that it's "
            "deleted for good.",
        ),
        "follow": (
            "That's reassuring, thanks.",
            "Thank you so much!",
            "Good to know. Can I delete it sooner myself?",
        ),
        "close": (
            "You're welcome. I'm here if any questions come up while you decide.",
            "Enjoy the extra time, and let me know if a walkthrough would help.",
            "Yes, Settings > Account > Delete account removes everything at once.",
        ),
    },
    "team_invite": {
        "subject": ("Invite email never arrived", "Add my business partner", "Two-factor for the team"),
        "customer": (
            "I invited our office manager twice, but she says no email arrived.",
            "My business partner needs full access, the same as me. How do I add him?",
            "Can I make two-factor sign-in compulsory for everyone at {business}?",
        ),
        "agent": (
            "I checked our logs, {first}: the invitations were delivered, so they're probably in her spam folder. "
            "I've resent one, and she can also sign up with her email and it links to your account.",
            "Settings > Team > Invite, {first}, and choose the Owner role for full access including billing.",
            "Yes, {first}: Settings > Security > Require two-factor. Everyone is asked to set it up at their next "
            "sign-in.",
        ),
        "follow": (
            "Found it in spam. All set now!",
            "Invited him. Can there be two owners?",
            "Turned it on. What if someone loses their phone?",
        ),
        "close": (
            "Great. Adding our address to her contacts keeps future emails out of spam.",
            "Yes, as many as you like; each can manage billing.",
            "An owner can reset their two-factor from Settings > Team, and they set it up again.",
        ),
    },
}

SHORT_CUSTOMER = ("Thanks!", "ok thanks", "Got it.", "Perfect, cheers", "Never mind, found it.")
SHORT_AGENT = ("You're welcome!", "Anytime.", "Glad it's sorted.")
BOT_LINES = (
    "Hi! I'm Ledgerly's assistant. Here are some articles that might help: Getting paid faster, Setting up reminders.",
    "Thanks for your message. Our team is offline right now; we'll reply by email in the morning.",
)
SPAM_LINES = (
    "Boost your SEO ranking today!!! We guarantee first page on Google, reply for our price list.",
    "Dear Sir/Madam, we offer cheap backlinks and guest posts for your website, 50 for $99.",
    "Congratulations, you have been selected for a business grant. Click the link to claim.",
)

CSAT_REMARKS = {
    1: ("Still not fixed after two days.", "Felt like nobody read my message.", "Far too slow."),
    2: ("Answer was OK but took ages.", "Had to explain twice.", "Not what I hoped for."),
    3: ("Fine.", "Solved in the end.", ""),
    4: ("Helpful, thanks.", "Quick and clear.", ""),
    5: ("Brilliant, thank you!", "So kind and fast.", "Best support I've had from any software company."),
}

# Review notes are built from an opening, what was seen, and a suggestion or praise, per level,
# with the conversation's topic, customer and business worked in: no two notes alike.
TOPIC_WORDS = {
    "double_charge": "the double charge",
    "refund": "the refund",
    "vat": "the VAT question",
    "plan_change": "the plan change",
    "card_declined": "the declined card",
    "invoice_copy": "the invoice copies",
    "bank_feed": "the bank feed",
    "recurring": "the recurring invoice",
    "reminders": "the reminders",
    "export": "the export",
    "mobile_sync": "the app sync",
    "permissions": "the access question",
    "import_clients": "the client import",
    "first_invoice": "the first invoice",
    "branding": "the branding change",
    "payment_setup": "the payment setup",
    "trial": "the trial question",
    "team_invite": "the team invite",
}
QUALITY_NOTES = {
    1: (
        ("On {topic}, ", "For {topic} with {business}, ", "Looking at {first}'s question, ", "With {first}, "),
        (
            "the answer fixed the symptom but not the cause",
            "the steps skipped the part the customer was stuck on",
            "we promised a follow-up that never happened",
            "the first reply asked for details the customer had already given",
            "the link sent went to an outdated help article",
        ),
        (
            "; checking the account history first would have saved a round trip.",
            "; a short checklist of what to verify would help here.",
            ". Worth pairing on a similar case this week.",
            "; the internal guide covers exactly this case.",
        ),
    ),
    2: (
        (
            "Solid work on {topic}: ",
            "Good handling of {topic} for {business}. ",
            "{first} got a good answer on {topic}: ",
            "Nice one with {first}: ",
        ),
        (
            "correct, complete and easy to follow",
            "clear steps and the right help article",
            "you checked the account before answering",
            "the answer covered the follow-up question too",
            "accurate and to the point",
        ),
        (
            ".",
            "; a screenshot would have made it even quicker.",
            "; consider closing with what happens next.",
            ", and the customer didn't need to write back.",
        ),
    ),
    3: (
        (
            "Outstanding on {topic}: ",
            "A model answer for {first} at {business}. ",
            "This is how {topic} should go: ",
        ),
        (
            "you found the root cause and offered a workaround until the fix ships",
            "you anticipated the next two questions and answered them up front",
            "you fixed it and then made sure it can't happen again",
            "you turned a complaint into a thank-you",
        ),
        (
            ". Sharing it with the team.",
            ". Would make a great macro.",
            "; the follow-up was the cherry on top.",
        ),
    ),
}
TONE_NOTES = {
    1: (
        (
            "Felt a bit curt with {first}",
            "Came across as defensive",
            "The reply to {first} read like a template",
            "The apology came too late",
        ),
        (
            "; acknowledging the frustration first would have helped.",
            "; the customer was worried and needed reassurance.",
            "; using their name and the business would warm it up.",
        ),
    ),
    2: (
        (
            "Friendly and professional with {first}",
            "Warm and clear",
            "Polite and patient with {business}",
            "Calm and helpful",
        ),
        (
            " throughout.",
            ", good use of the customer's name.",
            "; the sign-off invited them back.",
            ".",
        ),
    ),
    3: (
        (
            "Lovely de-escalation with {first}",
            "Genuinely kind",
            "Perfect tone for a worried customer at {business}",
        ),
        (
            ": calm, warm, and the customer ended up thanking us.",
            ": you made a stressful moment feel easy.",
            ", and it still got to the point quickly.",
        ),
    ),
}
# A missed step's note, and the step of the default checklist (its root cause, from 1).
PROCESS_NOTES = (
    ("Refund over the limit without a second approval.", 4),
    ("No internal note on what was changed.", 3),
    ("Conversation was not tagged.", 2),
    ("Changed the billing email before checking who was asking.", 1),
)
# Start, stop, continue notes (Billing turns them on).
START_NOTES = (
    "Start checking the invoice history before answering a charge question.",
    "Start offering the self-serve link alongside the fix.",
    "Start confirming the fix worked before closing.",
)
STOP_NOTES = (
    "Stop opening with the canned apology: it reads as a template.",
    "Stop asking for details the account already shows.",
    "",
)
CONTINUE_NOTES = (
    "Keep explaining the why behind the answer: customers reply less.",
    "Keep summarising the steps at the end.",
    "Keep the warm sign-off, it lands well.",
)
REPLIES = (
    "Thanks, that's fair. I'll check the history first next time.",
    "Good point about the follow-up, I'll add a reminder for myself.",
    "Appreciate it! That one was tricky.",
    "I wasn't sure about the approval limit, is it in the guide?",
    "Thank you, made my day.",
    "Noted. Could we go over a similar case in our 1:1?",
    "I did check the account, but the note didn't save. I'll look into it.",
    "Thanks for the kind words!",
)
REVIEWER_ANSWERS = (
    "It's in the refunds section of the guide, second page.",
    "Sure, bring one to the 1:1 on Thursday.",
    "No worries, it happens to all of us.",
)

DISPUTE_REASONS = [
    "The customer had already tried the reset steps with us the day before (see the earlier conversation), "
    "so sending them again would have wasted their time.",
    "The refund policy changed that Monday: the 30-day limit I quoted was the new one.",
]
DISPUTE_RESOLUTION = (
    "Tom is right: the policy page was updated that morning and the review quoted the old limit. "
    "Quality raised a level; I have asked the team to re-read the policy page."
)

# Calibration: Billing's lead runs one session a fortnight ago (revealed, with an agreed answer
# that became the scorecard's example of exceptional tone) and one this week, still blind.
CALIBRATION_PAST = "Refunds and tone, week {label}"
CALIBRATION_NOW = "Where our reviewers disagreed, week {label}"
CALIBRATION_AGREED = {
    "tone": (
        3,
        "Named the customer's worry (a double charge before payroll) before fixing it, and said when the money "
        "would be back: warm without a single stock phrase.",
    ),
    "quality": (
        2,
        "The refund was right and explained; exceptional would have also turned on the duplicate-payment guard "
        "so it cannot happen again.",
    ),
}
CALIBRATION_NOTES = [
    "Clear and kind, but the refund date was vague.",
    "Good fix; I would have offered the duplicate guard.",
    "Warm all through; the customer felt heard.",
    "Solid, a little long for a billing question.",
    "Exactly what our refund process says.",
]

# A conversation Billing's lead sent Maya to review this week, outside her batch.
SENT_FOR_REVIEW_NOTE = "Please look at this one: the customer wrote three times before the refund was confirmed."

# Billing's complaint topics, which its reviewers pick on low-rated conversations by what the
# customer wrote about, and the helpdesk tags its spotlight reads.
COMPLAINT_TOPICS = {
    "double-charge": "Double charges",
    "refund": "Refund delays",
    "card-declined": "Declined cards",
    "plan-change": "Plan prices",
}
COMPLAINT_TAGS = "complaint, double-charge"
ESCALATION_TAGS = "urgent, escalation"
SPOTLIGHT_PERCENT = 20  # Billing mixes the spotlight into its batches from this week on

# Maya's focus items: set two weeks ago and followed up last week, and last week's, still open.
FOCUS_EARLIER = "Say when the refund will land, with the date, not just that it is on its way."
FOCUS_NOW = "Offer the duplicate-payment guard before closing a double charge."
# A 1:1 Billing's lead held with Maya a fortnight ago.
ONE_ON_ONE_NOTES = (
    "Maya's tone is consistently warm; customers mention it in their CSAT remarks. We talked through the "
    "refund-timing comments: she will say the date the money lands. She would like to shadow John on VAT questions."
)
ONE_ON_ONE_ACTIONS = [
    ("Say the refund date in every refund reply", 7, True),
    ("Shadow John on two VAT conversations", 21, False),
]
