/* The controller loop in C through usbpo.h: read policy.usbpo into a buffer,
 * load it into static memory, act at 1 kHz. A Pendulum policy closes the loop
 * on a pendulum plant written here in C (Gym Pendulum-v1 dynamics); other
 * policies act on a synthetic sine-wave observation (timing only).
 *   c_controller POLICY_FILE [SECONDS]
 * Prints act latency (p50, p99, max) and deadline misses. POSIX clocks. */
#define _POSIX_C_SOURCE 200112L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "usbpo/runtime/usbpo.h"

#define PERIOD_NS 1000000L /* 1 kHz */
#define MAX_BLOB (4 << 20)
#define MAX_DIM 512

static unsigned char blob[MAX_BLOB];
static unsigned char policy_memory[8 << 20];

/* Pendulum plant: theta'' = 3g/(2l) sin(theta) + 3/(m l^2) u, dt 0.05, |theta'| <= 8, |u| <= 2. */
typedef struct { double theta, theta_dot; } pendulum;

static void pendulum_observe(const pendulum* p, float* obs) {
  obs[0] = (float)cos(p->theta);
  obs[1] = (float)sin(p->theta);
  obs[2] = (float)p->theta_dot;
}

static double pendulum_step(pendulum* p, float torque) {
  const double pi = 3.14159265358979323846;
  double u = torque > 2.0f ? 2.0 : (torque < -2.0f ? -2.0 : torque);
  double th = fmod(p->theta + pi, 2 * pi);
  if (th < 0) th += 2 * pi;
  th -= pi;
  const double cost = th * th + 0.1 * p->theta_dot * p->theta_dot + 0.001 * u * u;
  p->theta_dot += (3.0 * 10.0 / 2.0 * sin(p->theta) + 3.0 * u) * 0.05;
  if (p->theta_dot > 8) p->theta_dot = 8;
  if (p->theta_dot < -8) p->theta_dot = -8;
  p->theta += p->theta_dot * 0.05;
  return -cost;
}

static double elapsed_us(const struct timespec* a, const struct timespec* b) {
  return (double)(b->tv_sec - a->tv_sec) * 1e6 + (double)(b->tv_nsec - a->tv_nsec) / 1e3;
}

static int compare_doubles(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  FILE* file;
  size_t blob_size, need = 0;
  usbpo_policy* policy = NULL;
  char detail[256];
  usbpo_status status;
  double seconds = argc > 2 ? atof(argv[2]) : 2.0;
  int ticks, tick, misses = 0, obs_dim, act_dim, closed_loop;
  double* latency;
  double episode_return = 0, last_return = 0;
  float obs[MAX_DIM], action[MAX_DIM];
  pendulum plant = {3.0, 0.0};
  struct timespec deadline, t0, t1, now;

  if (argc < 2) return fprintf(stderr, "usage: c_controller POLICY_FILE [SECONDS]\n"), 2;
  ticks = (int)(seconds * 1e9 / PERIOD_NS);
  if (ticks < 1) return fprintf(stderr, "c_controller: SECONDS must be positive\n"), 2;
  file = fopen(argv[1], "rb");
  if (!file) return fprintf(stderr, "c_controller: cannot open %s\n", argv[1]), 1;
  blob_size = fread(blob, 1, sizeof blob, file);
  fclose(file);

  status = usbpo_policy_bytes_needed(blob, blob_size, &need);
  if (status == USBPO_OK && need > sizeof policy_memory) status = USBPO_ERR_OUT_OF_MEMORY;
  if (status == USBPO_OK) {
    status = usbpo_policy_load(blob, blob_size, policy_memory, sizeof policy_memory, &policy, detail, sizeof detail);
  } else {
    strcpy(detail, "verification or size check failed");
  }
  if (status != USBPO_OK) return fprintf(stderr, "c_controller: %s: %s\n", usbpo_strerror(status), detail), 1;
  obs_dim = usbpo_policy_obs_dim(policy);
  act_dim = usbpo_policy_act_dim(policy);
  if (obs_dim > MAX_DIM || act_dim > MAX_DIM) return fprintf(stderr, "c_controller: policy too wide\n"), 1;
  closed_loop = strcmp(usbpo_policy_env_name(policy), "pendulum") == 0;
  latency = (double*)malloc(sizeof(double) * (size_t)ticks); /* start-up only */
  if (!latency) return 1;
  printf("c_controller: %s policy (%s), %d ticks at 1 kHz, %s\n", usbpo_policy_env_name(policy),
         usbpo_policy_algorithm(policy), ticks, closed_loop ? "pendulum plant in C" : "synthetic observations");

  clock_gettime(CLOCK_MONOTONIC, &deadline);
  for (tick = 0; tick < ticks; ++tick) {
    int d;
    if (closed_loop) {
      pendulum_observe(&plant, obs);
    } else {
      for (d = 0; d < obs_dim; ++d) obs[d] = (float)sin(0.001 * tick + 0.7 * d);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    status = usbpo_policy_act(policy, obs, action);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (status != USBPO_OK) return fprintf(stderr, "c_controller: act: %s\n", usbpo_strerror(status)), 1;
    latency[tick] = elapsed_us(&t0, &t1);
    if (closed_loop) {
      episode_return += pendulum_step(&plant, action[0]);
      if ((tick + 1) % 200 == 0) { /* Pendulum episodes are 200 steps */
        last_return = episode_return;
        episode_return = 0;
        plant.theta = 3.0 - 0.5 * (double)((tick / 200) % 12);
        plant.theta_dot = 0;
      }
    }
    deadline.tv_nsec += PERIOD_NS;
    if (deadline.tv_nsec >= 1000000000L) {
      deadline.tv_nsec -= 1000000000L;
      ++deadline.tv_sec;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > deadline.tv_sec || (now.tv_sec == deadline.tv_sec && now.tv_nsec > deadline.tv_nsec)) {
      ++misses;
      deadline = now;
    } else {
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
    }
  }
  qsort(latency, (size_t)ticks, sizeof(double), compare_doubles);
  printf("act latency: p50 %.2f us, p99 %.2f us, max %.2f us\n", latency[(ticks - 1) / 2],
         latency[(size_t)(0.99 * (ticks - 1))], latency[ticks - 1]);
  printf("deadline misses: %d of %d ticks\n", misses, ticks);
  if (closed_loop && ticks >= 200) printf("last pendulum episode return: %.1f\n", last_return);
  free(latency);
  return 0;
}
