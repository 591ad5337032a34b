/*
 * The smallest librdkafka producer: `count` records of `size` bytes to one topic as fast as
 * librdkafka takes them, then waits for every delivery report. kcat reads its records from a
 * file or stdin, one line at a time, and tops out below what librdkafka itself can send; this
 * sends one shared payload without copying it, so the figure is librdkafka's and the broker's.
 *
 *   cc -O2 -o produce bench/librdkafka/produce.c -lrdkafka    (Debian: librdkafka-dev)
 *   produce BOOTSTRAP TOPIC COUNT SIZE [key=value ...]
 *
 * key=value pairs are librdkafka properties (acks=1, linger.ms=5, ...), except
 * produce.batch=N: hand librdkafka N records a call (rd_kafka_produce_batch), which takes
 * its queue lock once per call instead of once per record. Prints one line of
 * JSON on stdout at the end: records delivered, failed, and the seconds from the first
 * produce call to the last delivery report. Exits 1 if any record failed.
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long delivered, failed;
static char first_error[256];

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) {
    if (failed++ == 0) snprintf(first_error, sizeof first_error, "%s", rd_kafka_err2str(m->err));
  } else {
    delivered++;
  }
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s BOOTSTRAP TOPIC COUNT SIZE [key=value ...]\n", argv[0]);
    return 2;
  }
  long count = atol(argv[3]);
  long size = atol(argv[4]);
  if (count <= 0 || size < 0) {
    fprintf(stderr, "COUNT must be > 0 and SIZE >= 0\n");
    return 2;
  }
  long per_call = 1;
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof err) != RD_KAFKA_CONF_OK) goto bad_conf;
  for (int i = 5; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq) {
      fprintf(stderr, "expected key=value, got %s\n", argv[i]);
      return 2;
    }
    *eq = 0;
    if (strcmp(argv[i], "produce.batch") == 0) {
      per_call = atol(eq + 1);
      if (per_call < 1 || per_call > 1000000) {
        fprintf(stderr, "produce.batch must be 1..1000000\n");
        return 2;
      }
      continue;
    }
    if (rd_kafka_conf_set(conf, argv[i], eq + 1, err, sizeof err) != RD_KAFKA_CONF_OK) goto bad_conf;
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) goto bad_conf;
  rd_kafka_topic_t *topic = rd_kafka_topic_new(rk, argv[2], NULL);
  char *payload = malloc(size > 0 ? size : 1);
  memset(payload, 'a', size);

  rd_kafka_message_t *batch = per_call > 1 ? calloc(per_call, sizeof *batch) : NULL;

  double t0 = now();
  for (long sent = 0; sent < count && batch;) {
    long n = count - sent < per_call ? count - sent : per_call;
    for (long k = 0; k < n; k++) {
      batch[k].payload = payload;
      batch[k].len = size;
      batch[k].err = 0;
    }
    /* Records the queue refused have err set; they are offered again in the next call. */
    int queued = rd_kafka_produce_batch(topic, RD_KAFKA_PARTITION_UA, 0, batch, n);
    for (long k = 0; k < n; k++) {
      if (batch[k].err && batch[k].err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        fprintf(stderr, "produce failed: %s\n", rd_kafka_err2str(batch[k].err));
        return 1;
      }
    }
    sent += queued;
    rd_kafka_poll(rk, queued < n ? 1 : 0);
  }
  for (long sent = 0; sent < count && !batch;) {
    /* No copy flag: every record points at the same payload, which outlives them all. */
    if (rd_kafka_produce(topic, RD_KAFKA_PARTITION_UA, 0, payload, size, NULL, 0, NULL) == 0) {
      sent++;
      if ((sent & 1023) == 0) rd_kafka_poll(rk, 0);
    } else if (rd_kafka_last_error() == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk, 1);
    } else {
      fprintf(stderr, "produce failed: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
      return 1;
    }
  }
  while (delivered + failed < count) rd_kafka_poll(rk, 100);
  double seconds = now() - t0;
  printf("{\"delivered\":%ld,\"failed\":%ld,\"seconds\":%.6f,\"firstError\":\"%s\"}\n", delivered, failed, seconds, first_error);
  rd_kafka_topic_destroy(topic);
  rd_kafka_destroy(rk);
  free(payload);
  free(batch);
  return failed ? 1 : 0;

bad_conf:
  fprintf(stderr, "librdkafka: %s\n", err);
  return 2;
}
