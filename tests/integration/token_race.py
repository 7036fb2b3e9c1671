"""One worker process asking for the appliance's API token (test helper).

Prints "ready" once Django and its database connection are up, waits for a line
on stdin so every process asks at the same moment, then prints the token.
"""

import sys


def main() -> None:
    import django

    django.setup()

    from django.db import connection

    from appliances.models import Appliance
    from appliances.tokens import get_token

    appliance = Appliance.objects.get(pk=int(sys.argv[1]))
    connection.ensure_connection()
    print("ready", flush=True)
    sys.stdin.readline()
    print(get_token(appliance), flush=True)


if __name__ == "__main__":
    main()
