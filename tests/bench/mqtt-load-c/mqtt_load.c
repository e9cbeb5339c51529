// mqtt_load.c: the native MQTT load generator of tests/bench/mqtt.mjs (the
// same for every broker). One thread, epoll, MQTT 3.1.1, no dependency: an
// mqtt.js load costs about as much per delivery as the brokers themselves
// and saturated its core before the broker did; this one costs a few
// syscalls per batch of packets.
//
// Usage: mqtt_load PORT QOS PUBS SUBS WARMUP_MS DURATION_MS WINDOW
//        mqtt_load PORT idle N        (N idle sessions: prints {"ready":N},
//                                      holds them until stdin closes)
// Load: SUBS subscribers on "bench/fan" at QOS and PUBS publishers, each
// keeping at most WINDOW messages of 64 bytes in flight at QOS; a message is
// done once every subscriber got it (and, at QoS 1, its PUBACK came back).
// Subscribers acknowledge QoS 1 deliveries. Payloads carry the publisher, a
// sequence number and the send time, so every delivery's latency is known.
// Prints {"phase":"measure"} when the warm-up ends, then {"delivered":N,"seconds":S,"p50Ms":x,"p99Ms":y,"loadCpu":f,
// "overSecond":n,"acks":n,"ackP50Ms":x,"ackP99Ms":y}: deliveries counted after
// the warm-up (n of them took over a second), their latency, this process's
// share of one core over the same window (from getrusage), and at QoS 1 the
// PUBACKs the publishers got and their latency (publish to PUBACK).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TOPIC "bench/fan"
#define PAYLOAD 64
#define RING 65536            // per-publisher message slots 1..65535, a slot is the packet id
#define HIST_US 1000000       // latency histogram: 1 us buckets up to 1 s
#define BATCH 100             // connections set up per round trip during setup

struct conn {
  int fd;
  int pub;                    // publisher index, or -1 for a subscriber
  unsigned char *in;          // unparsed input
  size_t in_len, in_cap;
  unsigned char *out;         // output not yet written
  size_t out_len, out_cap;
};

struct pub {
  struct conn *c;
  uint32_t sent, done;        // messages sent / completed
  uint16_t *got;              // deliveries per ring slot
  unsigned char *acked;       // PUBACK seen per ring slot (QoS 1)
  uint64_t *sent_ns;          // send time per ring slot
  int queued;                 // on the refill list
};

static int s_qos, s_subs, s_window;
static struct pub *s_pubs;
static int *s_refill, s_nrefill;
static uint32_t *s_hist, *s_ack_hist;  // delivery and PUBACK latencies
static uint64_t s_delivered, s_over, s_acks;
static int s_counting;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void reserve(unsigned char **p, size_t *cap, size_t need) {
  if (need <= *cap) return;
  size_t n = *cap ? *cap : 4096;
  while (n < need) n *= 2;
  if ((*p = realloc(*p, n)) == NULL) die("realloc");
  *cap = n;
}

static void put(struct conn *c, const void *p, size_t n) {
  reserve(&c->out, &c->out_cap, c->out_len + n);
  memcpy(c->out + c->out_len, p, n);
  c->out_len += n;
}

/** Write what is queued; what the kernel does not take waits for EPOLLOUT (edge-triggered). */
static void flush(struct conn *c) {
  size_t off = 0;
  while (off < c->out_len) {
    ssize_t w = write(c->fd, c->out + off, c->out_len - off);
    if (w < 0) {
      if (errno == EAGAIN) break;
      die("write");
    }
    off += (size_t) w;
  }
  memmove(c->out, c->out + off, c->out_len - off);
  c->out_len -= off;
}

static size_t put_varint(unsigned char *p, size_t v) {
  size_t n = 0;
  do {
    p[n] = (unsigned char) (v & 127);
    v >>= 7;
    if (v) p[n] |= 128;
    n++;
  } while (v);
  return n;
}

static void put_connect(struct conn *c, const char *id) {
  unsigned char p[128];
  size_t idlen = strlen(id), body = 10 + 2 + idlen, n = 0;
  p[n++] = 0x10;
  n += put_varint(p + n, body);
  static const unsigned char vh[10] = {0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 0};  // 3.1.1, clean, no keepalive
  memcpy(p + n, vh, 10), n += 10;
  p[n++] = (unsigned char) (idlen >> 8), p[n++] = (unsigned char) idlen;
  memcpy(p + n, id, idlen), n += idlen;
  put(c, p, n);
}

static void put_subscribe(struct conn *c, const char *topic, int qos) {
  unsigned char p[128];
  size_t tl = strlen(topic), n = 0;
  p[n++] = 0x82;
  n += put_varint(p + n, 2 + 2 + tl + 1);
  p[n++] = 0, p[n++] = 1;
  p[n++] = (unsigned char) (tl >> 8), p[n++] = (unsigned char) tl;
  memcpy(p + n, topic, tl), n += tl;
  p[n++] = (unsigned char) qos;
  put(c, p, n);
}

static void put_publish(struct pub *p, int index) {
  unsigned char b[2 + 2 + sizeof(TOPIC) + 2 + PAYLOAD];
  size_t tl = sizeof(TOPIC) - 1, n = 0;
  uint32_t seq = p->sent++;
  uint32_t slot = seq % (RING - 1) + 1;  // 1..65535: the slot is the packet id
  uint64_t t = now_ns();
  b[n++] = (unsigned char) (0x30 | (s_qos << 1));
  n += put_varint(b + n, 2 + tl + (s_qos ? 2 : 0) + PAYLOAD);
  b[n++] = 0, b[n++] = (unsigned char) tl;
  memcpy(b + n, TOPIC, tl), n += tl;
  if (s_qos) {
    b[n++] = (unsigned char) (slot >> 8), b[n++] = (unsigned char) slot;
  }
  memset(b + n, 0x62, PAYLOAD);
  memcpy(b + n, &index, 4);
  memcpy(b + n + 4, &seq, 4);
  memcpy(b + n + 8, &t, 8);
  n += PAYLOAD;
  p->got[slot] = 0;
  p->acked[slot] = s_qos == 0;
  p->sent_ns[slot] = t;
  put(p->c, b, n);
}

static void complete(struct pub *p, int index) {
  p->done++;
  if (!p->queued) p->queued = 1, s_refill[s_nrefill++] = index;
}

static void on_delivery(struct conn *c, const unsigned char *pkt, size_t len, int qos) {
  if (len < 2) return;
  size_t tl = ((size_t) pkt[0] << 8) | pkt[1], off = 2 + tl;
  if (qos) {
    unsigned char ack[4] = {0x40, 2, pkt[off], pkt[off + 1]};
    put(c, ack, 4);
    off += 2;
  }
  if (len - off < 16) return;
  int index;
  uint32_t seq;
  uint64_t t;
  memcpy(&index, pkt + off, 4);
  memcpy(&seq, pkt + off + 4, 4);
  memcpy(&t, pkt + off + 8, 8);
  if (s_counting) {
    uint64_t us = (now_ns() - t) / 1000;
    s_delivered++;
    if (us < HIST_US) s_hist[us]++;
    else s_over++;
  }
  struct pub *p = &s_pubs[index];
  uint32_t slot = seq % (RING - 1) + 1;
  if (++p->got[slot] == s_subs && p->acked[slot]) complete(p, index);
}

static void on_puback(struct pub *p, int index, const unsigned char *pkt, size_t len) {
  if (len < 2) return;
  uint32_t slot = ((uint32_t) pkt[0] << 8) | pkt[1];
  p->acked[slot] = 1;
  if (s_counting) {
    uint64_t us = (now_ns() - p->sent_ns[slot]) / 1000;
    s_acks++;
    s_ack_hist[us < HIST_US ? us : HIST_US - 1]++;
  }
  if (p->got[slot] == s_subs) complete(p, index);
}

/** Parse the whole packets in c->in; returns the number of CONNACK/SUBACK packets seen (setup). */
static int parse(struct conn *c) {
  size_t off = 0;
  int acks = 0;
  for (;;) {
    size_t n = c->in_len - off, len = 0, i = 1;
    int shift = 0;
    if (n < 2) break;
    for (;; i++) {
      if (i >= n) goto partial;
      len |= (size_t) (c->in[off + i] & 127) << shift;
      shift += 7;
      if (!(c->in[off + i] & 128)) break;
      if (i == 4) {
        fprintf(stderr, "bad remaining length\n");
        exit(1);
      }
    }
    if (n < i + 1 + len) break;
    unsigned char type = c->in[off] >> 4;
    const unsigned char *body = c->in + off + i + 1;
    if (type == 3) on_delivery(c, body, len, (c->in[off] >> 1) & 3);
    else if (type == 4 && c->pub >= 0) on_puback(&s_pubs[c->pub], c->pub, body, len);
    else if (type == 2 || type == 9) {
      if (len >= 2 && (type == 2 ? body[1] : body[len - 1]) >= 0x80) {
        fprintf(stderr, "broker refused: packet type %d code 0x%02x\n", type, type == 2 ? body[1] : body[len - 1]);
        exit(1);
      }
      acks++;
    }
    off += i + 1 + len;
  }
partial:
  memmove(c->in, c->in + off, c->in_len - off);
  c->in_len -= off;
  return acks;
}

/** Read what is there (non-blocking); 0 when the peer closed. */
static int fill(struct conn *c) {
  for (;;) {
    reserve(&c->in, &c->in_cap, c->in_len + 65536);
    ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
    if (r < 0 && errno == EAGAIN) return 1;
    if (r < 0) die("read");
    if (r == 0) return 0;
    c->in_len += (size_t) r;
  }
}

/** Blocking setup read: until `want` CONNACK/SUBACK packets arrived on c. */
static void await_acks(struct conn *c, int want) {
  int fl = 0;
  ioctl(c->fd, FIONBIO, &fl);
  while (want > 0) {
    reserve(&c->in, &c->in_cap, c->in_len + 4096);
    ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
    if (r <= 0) die("setup read");
    c->in_len += (size_t) r;
    want -= parse(c);
  }
  fl = 1;
  ioctl(c->fd, FIONBIO, &fl);
}

/** Open n connections in batches: connect, CONNECT (and SUBSCRIBE), await the answers. */
static void open_all(struct conn *cs, int n, int port, const char *prefix, int subscribe, int qos) {
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t) port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int b = 0; b < n; b += BATCH) {
    int e = b + BATCH < n ? b + BATCH : n;
    for (int k = b; k < e; k++) {
      int one = 1;
      char id[64];
      cs[k].fd = socket(AF_INET, SOCK_STREAM, 0);
      if (cs[k].fd < 0 || connect(cs[k].fd, (struct sockaddr *) &sa, sizeof(sa)) != 0) die("connect");
      setsockopt(cs[k].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      snprintf(id, sizeof(id), "%s-%d-%d", prefix, (int) getpid(), k);
      put_connect(&cs[k], id);
      if (subscribe) put_subscribe(&cs[k], TOPIC, qos);
      flush(&cs[k]);
      if (cs[k].out_len) die("setup write");
    }
    for (int k = b; k < e; k++) await_acks(&cs[k], subscribe ? 2 : 1);
  }
}

static double percentile(const uint32_t *hist, uint64_t total, double f) {
  uint64_t want = (uint64_t) (f * (double) total), seen = 0;
  if (total == 0) return 0;
  for (int us = 0; us < HIST_US; us++) {
    seen += hist[us];
    if (seen > want) return us / 1000.0;
  }
  return HIST_US / 1000.0;
}

static int idle_mode(int port, int n) {
  struct conn *cs = calloc((size_t) n, sizeof(*cs));
  for (int k = 0; k < n; k++) cs[k].pub = -1;
  open_all(cs, n, port, "idle", 1, 1);
  printf("{\"ready\":%d}\n", n);
  fflush(stdout);
  char b[64];
  while (read(0, b, sizeof(b)) > 0) {}  // hold the sessions until stdin closes
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[2], "idle") == 0) return idle_mode(atoi(argv[1]), atoi(argv[3]));
  if (argc < 8) {
    fprintf(stderr, "usage: mqtt_load PORT QOS PUBS SUBS WARMUP_MS DURATION_MS WINDOW | PORT idle N\n");
    return 2;
  }
  int port = atoi(argv[1]), npub = atoi(argv[3]);
  s_qos = atoi(argv[2]), s_subs = atoi(argv[4]), s_window = atoi(argv[7]);
  double warmup = atof(argv[5]) * 1e6, duration = atof(argv[6]) * 1e6;
  if (s_qos < 0 || s_qos > 1 || npub < 1 || s_subs < 1 || s_subs > 65535 || s_window < 1 || s_window >= RING - 1) {
    fprintf(stderr, "bad arguments\n");
    return 2;
  }
  s_hist = calloc(HIST_US, sizeof(*s_hist));
  s_ack_hist = calloc(HIST_US, sizeof(*s_ack_hist));
  s_pubs = calloc((size_t) npub, sizeof(*s_pubs));
  s_refill = calloc((size_t) npub, sizeof(*s_refill));
  struct conn *subs = calloc((size_t) s_subs, sizeof(*subs)), *pubs = calloc((size_t) npub, sizeof(*pubs));
  for (int k = 0; k < s_subs; k++) subs[k].pub = -1;
  for (int k = 0; k < npub; k++) {
    pubs[k].pub = k;
    s_pubs[k].c = &pubs[k];
    s_pubs[k].got = calloc(RING, sizeof(uint16_t));
    s_pubs[k].acked = calloc(RING, 1);
    s_pubs[k].sent_ns = calloc(RING, sizeof(uint64_t));
  }
  open_all(subs, s_subs, port, "sub", 1, s_qos);
  open_all(pubs, npub, port, "pub", 0, 0);

  int ep = epoll_create1(0);
  for (int k = 0; k < s_subs + npub; k++) {
    struct conn *c = k < s_subs ? &subs[k] : &pubs[k - s_subs];
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
  }
  for (int k = 0; k < npub; k++) {
    while (s_pubs[k].sent < (uint32_t) s_window) put_publish(&s_pubs[k], k);
    flush(&pubs[k]);
  }
  uint64_t t0 = now_ns(), start = t0 + (uint64_t) warmup, end = start + (uint64_t) duration;
  double cpu0 = 0;
  for (;;) {
    struct epoll_event evs[256];
    uint64_t t = now_ns();
    if (!s_counting && t >= start) {
      s_counting = 1, start = t, cpu0 = cpu_s();
      printf("{\"phase\":\"measure\"}\n");  // the bench samples the broker's CPU time from here
      fflush(stdout);
    }
    if (t >= end) break;
    int n = epoll_wait(ep, evs, 256, 50);
    for (int e = 0; e < n; e++) {
      struct conn *c = evs[e].data.ptr;
      if (evs[e].events & EPOLLIN) {
        if (!fill(c)) {
          fprintf(stderr, "broker closed a connection\n");
          return 1;
        }
        parse(c);
      }
      if (c->out_len) flush(c);  // PUBACKs of this batch, or output EAGAIN held back
    }
    for (int i = 0; i < s_nrefill; i++) {
      struct pub *p = &s_pubs[s_refill[i]];
      p->queued = 0;
      while (p->sent - p->done < (uint32_t) s_window) put_publish(p, s_refill[i]);
      flush(p->c);
    }
    s_nrefill = 0;
  }
  double secs = (double) (now_ns() - start) / 1e9, cpu = cpu_s() - cpu0;
  printf("{\"delivered\":%llu,\"seconds\":%.4f,\"p50Ms\":%.3f,\"p99Ms\":%.3f,\"loadCpu\":%.3f,\"overSecond\":%llu,"
         "\"acks\":%llu,\"ackP50Ms\":%.3f,\"ackP99Ms\":%.3f}\n",
         (unsigned long long) s_delivered, secs, percentile(s_hist, s_delivered, 0.5),
         percentile(s_hist, s_delivered, 0.99), cpu / secs, (unsigned long long) s_over, (unsigned long long) s_acks,
         percentile(s_ack_hist, s_acks, 0.5), percentile(s_ack_hist, s_acks, 0.99));
  return 0;
}
