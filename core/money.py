"""Money is integer minor units plus an ISO currency; this only writes it for people."""

SYMBOLS = {"USD": "$", "GBP": "£", "EUR": "€"}


def format_money(minor: int, currency: str = "USD") -> str:
    sign = "-" if minor < 0 else ""
    units, cents = divmod(abs(minor), 100)
    symbol = SYMBOLS.get(currency)
    amount = f"{units:,}.{cents:02d}"
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"
