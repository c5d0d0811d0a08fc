"""Drive some load at a running Mailroom and scrape /actuator/prometheus every second into a JSON file.

    python3 collect.py http://localhost:8080 series.json [seconds] [admin password]

Load: counters created, incremented (and flooded), crashed, and killed through the actuator; chat
users (python3-websocket) joining rooms and posting. Then: python3 render.py <dashboard> series.json out.png
"""
import json, re, sys, time, threading, urllib.request, base64, random, urllib.parse
try:
    import websocket  # Debian: python3-websocket
except ImportError:
    websocket = None

BASE = sys.argv[1]
OUT = sys.argv[2]
SECONDS = int(sys.argv[3]) if len(sys.argv) > 3 else 150
PW = sys.argv[4] if len(sys.argv) > 4 else "render"
AUTH = "Basic " + base64.b64encode(f"admin:{PW}".encode()).decode()
LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

def req(method, path, body=None, auth=False):
    r = urllib.request.Request(BASE + path, method=method, data=body.encode() if body else None)
    if body:
        r.add_header("Content-Type", "application/json")
    if auth:
        r.add_header("Authorization", AUTH)
    try:
        with urllib.request.urlopen(r, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""
    except Exception:
        return 0, ""

def scrape():
    _, text = req("GET", "/actuator/prometheus")
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        if m:
            labels = dict(LABEL.findall(m.group(2) or ""))
            samples.append([m.group(1), labels, float(m.group(3))])
    return samples

stop = False
def load():
    names = []
    t0 = time.time()
    i = 0
    while not stop:
        i += 1
        el = time.time() - t0
        # ramp up the counters for the first minute
        if len(names) < 40 and i % 3 == 0:
            n = f"c{len(names)}"
            if req("POST", "/api/counters", json.dumps({"name": n}))[0] in (201, 409):
                names.append(n)
        if names:
            # bursts of increments, heavier in the middle of the run
            burst = 20 if 40 < el < 100 else 5
            for _ in range(burst):
                req("POST", f"/api/counters/{random.choice(names)}/increment?by=1")
            if i % 25 == 0:
                req("POST", f"/api/counters/{random.choice(names)}/crash")
            if i % 60 == 0:
                _, body = req("GET", "/actuator/processes?type=counter&limit=5", auth=True)
                try:
                    pid = json.loads(body)["processes"][0]["pid"]
                    req("DELETE", "/actuator/processes/" + urllib.parse.quote(pid, safe=""), auth=True)
                except Exception:
                    pass
        time.sleep(0.02)

def flood():
    # concurrent increments on one counter, so its mailbox actually fills up now and then
    while not stop:
        req("POST", "/api/counters/c1/increment?by=2")

def chatter(n):
    # a chat user: joins two of five rooms, posts now and then, reads everything
    if websocket is None:
        return
    time.sleep(n * 0.7)
    url = BASE.replace("http", "ws", 1) + f"/ws/chat?user=user{n}"
    try:
        ws = websocket.create_connection(url, timeout=5)
        ws.recv()  # welcome
        rooms = random.sample(["lobby", "ops", "random", "dev", "music"], 2)
        for r in rooms:
            ws.send(json.dumps({"type": "join", "room": r}))
        reader = threading.Thread(target=lambda: [ws.recv() for _ in iter(int, 1)], daemon=True)
        reader.start()
        while not stop:
            ws.send(json.dumps({"type": "send", "room": random.choice(rooms), "text": "hello " + str(random.random())}))
            time.sleep(random.uniform(0.05, 0.4))
        ws.close()
    except Exception as e:
        print("chatter", n, e)

threads = [threading.Thread(target=load, daemon=True)] + [threading.Thread(target=chatter, args=(n,), daemon=True) for n in range(30)] + [threading.Thread(target=flood, daemon=True) for _ in range(4)]
for t in threads:
    t.start()
series = []
start = time.time()
while time.time() - start < SECONDS:
    t = time.time()
    series.append({"t": t, "samples": scrape()})
    time.sleep(max(0, 1 - (time.time() - t)))
stop = True
json.dump(series, open(OUT, "w"))
print("scrapes:", len(series))
