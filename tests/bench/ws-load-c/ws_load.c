// ws_load.c: the native WebSocket load generator of tests/bench/ws.mjs (the
// same for every server; ws-load.mjs is the fallback where no C compiler
// exists). One thread, epoll: a Node load generator costs about as much per
// echo as the servers themselves, so with one message in flight it would
// measure itself; this one costs a few syscalls per echo.
// Usage: ws_load PORT SIZE CONNS WARMUP_MS DURATION_MS WINDOW
// Prints {"roundTrips":N,"seconds":S,"bytes":B}. Each connection keeps
// WINDOW masked binary messages of SIZE bytes in flight; echoes are counted
// by bytes (each is one unfragmented frame of known length); the first echo
// is checked byte for byte.
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn {
  int fd;
  size_t have;     // echo bytes received, not yet counted
  size_t out_off;  // bytes of `pending` frames already written
  size_t pending;  // frames owed (written partly or not at all)
};

static unsigned char *s_frame, *s_batch;
static size_t s_frame_len, s_echo_len, s_window;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void write_pending(struct conn *c) {
  while (c->pending > 0) {
    size_t n = c->pending < s_window ? c->pending : s_window;
    size_t total = n * s_frame_len;
    ssize_t w = write(c->fd, s_batch + c->out_off, total - c->out_off);
    if (w < 0) {
      if (errno == EAGAIN) return;
      die("write");
    }
    c->out_off += (size_t) w;
    if (c->out_off < total) return;
    c->out_off = 0;
    c->pending -= n;
  }
}

int main(int argc, char **argv) {
  if (argc < 7) return 2;
  int port = atoi(argv[1]), nconn = atoi(argv[3]);
  size_t size = (size_t) atol(argv[2]), i;
  double warmup = atof(argv[4]), duration = atof(argv[5]);
  s_window = (size_t) atoi(argv[6]);
  size_t hl = size < 126 ? 2 : size < 65536 ? 4 : 10;
  static const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
  unsigned char *payload = malloc(size + 1);
  s_frame_len = hl + 4 + size;
  s_echo_len = hl + size;
  s_frame = malloc(s_frame_len);
  for (i = 0; i < size; i++) payload[i] = (unsigned char) (i * 31 + 7);
  s_frame[0] = 0x82;
  if (size < 126) {
    s_frame[1] = (unsigned char) (0x80 | size);
  } else if (size < 65536) {
    s_frame[1] = 0x80 | 126, s_frame[2] = (unsigned char) (size >> 8), s_frame[3] = (unsigned char) size;
  } else {
    s_frame[1] = 0x80 | 127;
    for (i = 0; i < 8; i++) s_frame[2 + i] = (unsigned char) ((uint64_t) size >> (56 - 8 * i));
  }
  memcpy(s_frame + hl, key, 4);
  for (i = 0; i < size; i++) s_frame[hl + 4 + i] = payload[i] ^ key[i & 3];
  s_batch = malloc(s_frame_len * s_window);
  for (i = 0; i < s_window; i++) memcpy(s_batch + i * s_frame_len, s_frame, s_frame_len);

  // The RFC 6455 sample key: its accept value is known.
  static const char req_fmt[] =
      "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  char req[512], head[1024];
  int reqlen = snprintf(req, sizeof(req), req_fmt, port);
  struct conn *conns = calloc((size_t) nconn, sizeof(*conns));
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t) port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int k = 0; k < nconn; k++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    size_t got = 0;
    if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0) die("connect");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (write(fd, req, (size_t) reqlen) != reqlen) die("write");
    while (got < 4 || memcmp(head + got - 4, "\r\n\r\n", 4) != 0) {  // byte by byte: no frame bytes eaten
      if (got >= sizeof(head) - 1 || read(fd, head + got, 1) != 1) die("handshake");
      got++;
    }
    head[got] = '\0';
    if (strncmp(head, "HTTP/1.1 101", 12) != 0 || !strstr(head, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")) {
      fprintf(stderr, "bad handshake answer: %s\n", head);
      return 1;
    }
    conns[k].fd = fd;
  }
  {  // one echo checked byte for byte
    unsigned char *echo = malloc(s_echo_len);
    size_t got = 0;
    if (write(conns[0].fd, s_frame, s_frame_len) != (ssize_t) s_frame_len) die("write");
    while (got < s_echo_len) {
      ssize_t r = read(conns[0].fd, echo + got, s_echo_len - got);
      if (r <= 0) die("read echo");
      got += (size_t) r;
    }
    if (echo[0] != 0x82 || memcmp(echo + hl, payload, size) != 0) {
      fprintf(stderr, "wrong echo\n");
      return 1;
    }
    free(echo);
  }
  int ep = epoll_create1(0);
  for (int k = 0; k < nconn; k++) {
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = &conns[k]};
    int fl = 1;
    ioctl(conns[k].fd, FIONBIO, &fl);
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[k].fd, &ev);
    conns[k].pending = s_window;
    write_pending(&conns[k]);
  }
  static unsigned char buf[1 << 20];
  uint64_t trips = 0;
  double t0 = now_ms(), start = t0 + warmup, end = start + duration;
  int counting = 0;
  for (;;) {
    struct epoll_event evs[64];
    double t = now_ms();
    if (!counting && t >= start) counting = 1, trips = 0, start = t;
    if (t >= end) break;
    int n = epoll_wait(ep, evs, 64, 50);
    for (int e = 0; e < n; e++) {
      struct conn *c = evs[e].data.ptr;
      if (evs[e].events & EPOLLIN) {
        for (;;) {
          ssize_t r = read(c->fd, buf, sizeof(buf));
          if (r < 0 && errno == EAGAIN) break;
          if (r <= 0) die("read");
          c->have += (size_t) r;
        }
        size_t done = c->have / s_echo_len;
        c->have -= done * s_echo_len;
        trips += done;
        c->pending += done;
      }
      write_pending(c);
    }
  }
  double secs = (now_ms() - start) / 1e3;
  printf("{\"roundTrips\":%llu,\"seconds\":%.4f,\"bytes\":%llu}\n", (unsigned long long) trips, secs,
         (unsigned long long) (trips * size * 2));
  return 0;
}
