/* Used by tests/umlhost.py: linux.uml is started with this library preloaded. */
/* LD_PRELOAD shim for linux.uml 6.1 on hosts with AMX: the host kernel wants
 * PTRACE_SETREGSET(NT_X86_XSTATE) with the full XSAVE size, UML 6.1 passes a smaller
 * buffer and gets EFAULT. Extend the buffer with the task's own current state. */
#define _GNU_SOURCE
#include <cpuid.h>
#include <dlfcn.h>
#include <elf.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

static long (*real_ptrace)(int, pid_t, void *, void *);

/* CPUID traps to the hypervisor in a VM (several microseconds): ask once. */
static size_t xsave_max(void) {
    static size_t size = (size_t)-1;
    unsigned int a, b, c, d;
    if (size == (size_t)-1)
        size = __get_cpuid_count(0xd, 0, &a, &b, &c, &d) ? c : 0;
    return size;
}

long ptrace(enum __ptrace_request request, ...) {
    va_list ap;
    va_start(ap, request);
    pid_t pid = va_arg(ap, pid_t);
    void *addr = va_arg(ap, void *);
    void *data = va_arg(ap, void *);
    va_end(ap);
    if (!real_ptrace)
        real_ptrace = (long (*)(int, pid_t, void *, void *))dlsym(RTLD_NEXT, "ptrace");
    if (request == PTRACE_SETREGSET && (long)addr == NT_X86_XSTATE && data) {
        struct iovec *iov = data;
        size_t full = xsave_max();
        if (full > iov->iov_len) {
            char *buf = calloc(1, full);
            if (!buf)
                return real_ptrace(request, pid, addr, data);
            struct iovec big = {buf, full};
            long r = real_ptrace(PTRACE_GETREGSET, pid, addr, &big);
            if (r >= 0) {
                memcpy(buf, iov->iov_base, iov->iov_len);
                big.iov_len = full;
                r = real_ptrace(PTRACE_SETREGSET, pid, addr, &big);
            }
            free(buf);
            return r;
        }
    }
    return real_ptrace(request, pid, addr, data);
}
