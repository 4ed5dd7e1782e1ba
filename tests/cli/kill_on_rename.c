/* Test-only shim, loaded with LD_PRELOAD into a `vclab` process to kill it at an exact point from outside its
 * code: VCLAB_KILL_ON_RENAME=<file name>:<n> raises SIGKILL right after the n-th successful rename() onto a path
 * whose last component is <file name>. vclab writes every file atomically (temporary file, then rename), so
 * "metrics.csv:4" kills a run just after metrics.csv holds its epoch-3 row (rows: epoch 0, 1, 2, 3), before that
 * epoch's training checkpoint. The production binary has no kill hook of its own. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int matches_target(const char* to, const char* spec, long* n) {
  const char* colon = strrchr(spec, ':');
  if (!colon) return 0;
  *n = strtol(colon + 1, NULL, 10);
  const char* base = strrchr(to, '/');
  base = base ? base + 1 : to;
  return strlen(base) == (size_t)(colon - spec) && strncmp(base, spec, (size_t)(colon - spec)) == 0;
}

int rename(const char* from, const char* to) {
  static int (*real_rename)(const char*, const char*) = NULL;
  static long count = 0;
  if (!real_rename) real_rename = (int (*)(const char*, const char*))dlsym(RTLD_NEXT, "rename");
  const int rc = real_rename(from, to);
  const char* spec = getenv("VCLAB_KILL_ON_RENAME");
  long n = 0;
  if (rc == 0 && spec && matches_target(to, spec, &n) && ++count == n) raise(SIGKILL);
  return rc;
}
