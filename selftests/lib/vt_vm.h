/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vt_vm.h - guest-code library of the vmem selftests: VMs whose guest code
 * is a C function of the test binary (the idea of KVM's selftests, our own
 * code).
 *
 * How it works
 * ------------
 * The tests are static, non-PIE executables.  vm_create() copies the
 * program's loaded image (every PT_LOAD segment, as it is in memory at that
 * moment) into guest-physical memory at GPA == its virtual address, builds
 * identity page tables (2 MiB pages, GVA == GPA for the first 4 GiB), a GDT
 * (64-bit code 0x08, data 0x10, 32-bit code 0x18, TSS 0x28), an IDT whose
 * 256 vectors go to a common handler, and per-vCPU stacks.  vcpu_add()
 * puts the vCPU in 64-bit mode at the start of a C function of the test:
 * the same function pointer is valid in the guest.
 *
 *	static void guest_code(uint64_t arg)
 *	{
 *		GUEST_ASSERT_EQ(arg, 42);
 *		GUEST_SYNC(1);
 *		GUEST_DONE();		// also what returning does
 *	}
 *
 *	vm = vm_create(VMEM_VM_MMU_AUTO);
 *	vcpu = vcpu_add(vm, 0, guest_code);
 *	vcpu_args_set(vcpu, 1, 42);
 *	ASSERT_RUN_UCALL(vcpu, UCALL_SYNC, &uc);	// uc.args[0] == 1
 *	ASSERT_RUN_DONE(vcpu);
 *	vm_free(vm);
 *
 * Guest-physical layout (slot VT_SLOT_MAIN, GPA 0 .. VT_MAIN_SIZE):
 *	0 .. 4 MiB		free: tests place real/protected-mode code here
 *	image			the test binary, at its link address (4 MiB)
 *	after the image		(2 MiB aligned) page tables, GDT, IDT, TSS, then
 *				what vm_alloc() hands out (stacks, test data)
 * Addresses outside the slots are identity-mapped too, so a guest access
 * there reaches the VMM as MMIO.
 *
 * Rules for guest code: it must not call libc (glibc's ifunc'd string
 * functions may pick AVX; the test binary links our own memcpy, memset,
 * memmove, memcmp and strlen instead, see vt_guest.c), must not use TLS
 * (no errno, no stack protector: the Makefile builds with
 * -fno-stack-protector and -mno-red-zone), and sees globals as they were
 * when vm_create() ran: use vm_sync_to_guest()/vm_sync_from_guest() to
 * exchange values.
 *
 * ucall: guest code talks to the host by writing a struct vt_ucall on its
 * stack and executing "out %al, $VT_UCALL_PORT" (a byte OUT to port
 * 0x1000) with RDI = its address.  The host sees VMEM_EXIT_IO on that port,
 * reads RDI with VMEM_GET_REGS and the struct through its mapping of guest
 * memory (GPA == GVA).  Resuming the vCPU continues after the OUT.
 *
 * Exceptions: every vector goes to a handler that saves the GPRs and the
 * FXSAVE state and calls the handler installed for that vector with
 * vm_install_exception_handler(); without one, the guest reports
 * UCALL_UNHANDLED (vector, error code, RIP, CR2) and the host test fails
 * with those details.
 *
 * Host functions print a diagnostic (vt_diag) and return NULL / -1 (errno
 * set) on failure; they never exit.
 */
#ifndef VMEM_VT_VM_H
#define VMEM_VT_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/vmem.h>

#include "vt_x86.h"

#define VT_PAGE_SIZE		4096ull
#define VT_LARGE_PAGE_SIZE	(2ull << 20)
#define VT_ALIGN_UP(x, a)	(((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define VT_ALIGN_DOWN(x, a)	((x) & ~((uint64_t)(a) - 1))
#define VT_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* The port of the ucall OUT, and the selectors of the library's GDT. */
#define VT_UCALL_PORT		0x1000
#define VT_SEL_CODE64		0x08
#define VT_SEL_DATA		0x10
#define VT_SEL_CODE32		0x18
#define VT_SEL_CODE16		0x20
#define VT_SEL_TSS		0x28

#define VT_SLOT_MAIN		0
#define VT_MAIN_SIZE		(64ull << 20)
#define VT_STACK_SIZE		(64ull << 10)
/* Identity map of guest-virtual = guest-physical, 2 MiB pages. */
#define VT_IDMAP_SIZE		(4ull << 30)

#define VT_MAX_SLOTS		32
#define VT_MAX_VCPUS		64

/* ---------------------------------------------------------------------- */
/* ucall                                                                   */

enum vt_ucall_cmd {
	UCALL_NONE = 0,		/* host side: the exit was not a ucall */
	UCALL_SYNC,		/* args[0] = the GUEST_SYNC number */
	UCALL_DONE,		/* the guest finished */
	UCALL_ABORT,		/* a GUEST_ASSERT failed: file, line, expr, msg */
	UCALL_PRINTF,		/* msg */
	UCALL_UNHANDLED,	/* args: vector, error code, RIP, CR2 */
};

struct vt_ucall {
	uint64_t cmd;
	uint64_t args[6];
	uint64_t file;		/* guest address of the file name, or 0 */
	uint64_t line;
	uint64_t expr;		/* guest address of the expression, or 0 */
	char msg[256];		/* formatted by the guest, NUL-terminated */
};

/* ---------------------------------------------------------------------- */
/* Guest side                                                              */

void vt_guest_ucall(uint64_t cmd, uint64_t a0, uint64_t a1, uint64_t a2,
		    uint64_t a3);
void vt_guest_printf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
void vt_guest_assert_fail(const char *file, int line, const char *expr,
			  const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));
void vt_guest_done(void) __attribute__((noreturn));
/* snprintf for guest code: %d %i %u %x %X %p %s %c %% with l/ll/z, width,
 * '0' padding and '#'.  Returns the length it wanted to write. */
int vt_guest_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define GUEST_SYNC(n)		vt_guest_ucall(UCALL_SYNC, (n), 0, 0, 0)
#define GUEST_SYNC_ARGS(n, a, b, c) \
	vt_guest_ucall(UCALL_SYNC, (n), (a), (b), (c))
#define GUEST_DONE()		vt_guest_done()
#define GUEST_PRINTF(...)	vt_guest_printf(__VA_ARGS__)

#define GUEST_ASSERT(cond) do {						\
	if (!(cond))							\
		vt_guest_assert_fail(__FILE__, __LINE__, #cond, NULL);	\
} while (0)

#define GUEST_ASSERT_MSG(cond, ...) do {				\
	if (!(cond))							\
		vt_guest_assert_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
} while (0)

#define GUEST_VT_CMP_(a, op, b) do {					\
	uint64_t vt_ga_ = (uint64_t)(a), vt_gb_ = (uint64_t)(b);	\
	if (!(vt_ga_ op vt_gb_))					\
		vt_guest_assert_fail(__FILE__, __LINE__, #a " " #op " " #b, \
				     "got 0x%llx vs 0x%llx",		\
				     (unsigned long long)vt_ga_,	\
				     (unsigned long long)vt_gb_);	\
} while (0)

#define GUEST_ASSERT_EQ(a, b)	GUEST_VT_CMP_(a, ==, b)
#define GUEST_ASSERT_NE(a, b)	GUEST_VT_CMP_(a, !=, b)

#define GUEST_FAIL(...) \
	vt_guest_assert_fail(__FILE__, __LINE__, "GUEST_FAIL", __VA_ARGS__)

/* The frame an exception handler gets; writable (RIP, GPRs...). */
struct vt_ex_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

typedef void (*vt_handler_t)(struct vt_ex_regs *regs);

/*
 * Execute one instruction and catch the exception it raises: returns
 * VT_NO_EXCEPTION, or the vector (the error code goes to *error_code if
 * not NULL).  Works without any installed handler.
 */
#define VT_NO_EXCEPTION		0xffu
uint8_t vt_rdmsr_safe(uint32_t msr, uint64_t *val);
uint8_t vt_wrmsr_safe(uint32_t msr, uint64_t val);
uint8_t vt_xsetbv_safe(uint32_t index, uint64_t val);

/* Marker and registers used by the "safe" instruction wrappers. */
#define VT_SAFE_MAGIC		0x5afe5afe5afe5afeull

/* The guest's own string functions (also linked for the host). */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* ---------------------------------------------------------------------- */
/* Host side                                                               */

struct vt_slot {
	bool used;
	uint32_t id;
	uint32_t flags;
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;		/* the VMM mapping (mmap of the VM fd) */
	uint8_t *touched;	/* bitmap of pages the library wrote */
};

struct vt_vm {
	int fd;
	unsigned int mmu_flags;
	struct vt_slot slots[VT_MAX_SLOTS];
	uint64_t alloc_next, alloc_end;	/* vm_alloc() range, in slot 0 */
	uint64_t pml4, gdt, idt, tss;	/* GPAs of the library's tables */
	uint64_t xcr0;			/* what guest entry code loads */
	uint64_t touched_pages;		/* distinct pages the library wrote */
	struct vt_vcpu *vcpus[VT_MAX_VCPUS];
};

struct vt_vcpu {
	struct vt_vm *vm;
	uint32_t id;
	int fd;
	struct vmem_run *run;
	size_t run_size;
	uint64_t stack_top;		/* GPA/GVA */
};

/* VMEM_CHECK_EXTENSION(VMEM_CAP_RUN_SIZE) etc. on a fresh system fd. */
long vt_check_extension(unsigned int cap);

/*
 * setup() helper: VT_PASS when a VM with @mmu_flags can be created,
 * VT_SKIP (with the reason) when /dev/vmem is absent or VMEM_CREATE_VM
 * answers EOPNOTSUPP, VT_FAIL for any other error.
 */
int vt_require_vm(unsigned int mmu_flags);

/*
 * Case helper: VT_PASS when a VM created with @mmu_flags can run real
 * mode (VMEM_CAP_REAL_MODE lists its MMU mode; AUTO means the one vmem
 * picks), else VT_SKIP with the reason (VMX without unrestricted guest,
 * which needs EPT: the shadow MMU on VMX).
 */
int vt_require_real_mode(unsigned int mmu_flags);

/*
 * A VM with VT_SLOT_MAIN, the image, page tables, GDT and IDT, ready for
 * vcpu_add().  NULL (errno set, diagnostic printed) on failure.
 */
struct vt_vm *vm_create(unsigned int mmu_flags);
/* Only the VM fd: no memory, nothing loaded (for tests of the ioctls). */
struct vt_vm *vm_create_bare(unsigned int mmu_flags);
/* Close every vCPU fd and mapping, then the VM fd; NULL is fine. */
void vm_free(struct vt_vm *vm);

/* VMEM_SET_MEMSLOT then mmap (offset = gpa); 0 or -1 with errno. */
int vm_add_slot(struct vt_vm *vm, uint32_t slot, uint64_t gpa, uint64_t size,
		uint32_t flags);
/* Size 0: unmap and delete. */
int vm_delete_slot(struct vt_vm *vm, uint32_t slot);

/* Host address of guest-physical @gpa (NULL if not in a mapped slot). */
void *vm_gpa2hva(struct vt_vm *vm, uint64_t gpa);
/* Copy into / out of guest memory through the mapping; 0 or -1 (EFAULT). */
int vm_write(struct vt_vm *vm, uint64_t gpa, const void *src, size_t len);
int vm_read(struct vt_vm *vm, uint64_t gpa, void *dst, size_t len);
/* Zero-filled pages from the main slot (page aligned): GPA == GVA. */
uint64_t vm_alloc(struct vt_vm *vm, uint64_t size);
/* Pages the library itself has written (granted by it). */
uint64_t vm_lib_touched_pages(struct vt_vm *vm);

/* Copy a global between the host and the guest's copy of the image. */
#define vm_sync_to_guest(vm, g) \
	vm_write((vm), (uint64_t)(uintptr_t)&(g), &(g), sizeof(g))
#define vm_sync_from_guest(vm, g) \
	vm_read((vm), (uint64_t)(uintptr_t)&(g), &(g), sizeof(g))
/* Pointer to the guest's copy of a global (a host address). */
#define VM_GUEST_PTR(vm, g) \
	((__typeof__(&(g)))vm_gpa2hva((vm), (uint64_t)(uintptr_t)&(g)))

/* Handler for @vector in guest code (NULL: report UCALL_UNHANDLED). */
int vm_install_exception_handler(struct vt_vm *vm, unsigned int vector,
				 vt_handler_t handler);

/* VMEM_GET_VM_STATS; 0 or -1. */
int vm_get_stats(struct vt_vm *vm, struct vmem_vm_stats *st);
/*
 * Wait until the sharing daemon has finished @passes more full passes
 * over @vm (its full_scans count; up to 20 s): true if it did.  Passes,
 * not time, so a slow emulator waits as long as it needs.
 */
bool vm_wait_share_passes(struct vt_vm *vm, uint64_t passes);

/*
 * A vCPU in 64-bit mode at @guest_code (NULL: leave RIP to the caller)
 * with its own stack and the supported CPUID table.  If @guest_code
 * returns, the guest reports UCALL_DONE.
 */
struct vt_vcpu *vcpu_add(struct vt_vm *vm, uint32_t id, void *guest_code);
/* (Re)start a vcpu_add()ed vCPU at @guest_code: 64-bit sregs, fresh
 * stack top, RFLAGS 2, other GPRs 0. */
int vcpu_set_entry(struct vt_vcpu *vcpu, void *guest_code);
/* Only VMEM_CREATE_VCPU and the run-area mapping. */
struct vt_vcpu *vcpu_add_bare(struct vt_vm *vm, uint32_t id);
/* Up to 6 integer arguments for the guest function (RDI, RSI, ...). */
int vt_vcpu_args_set(struct vt_vcpu *vcpu, unsigned int n,
		     const uint64_t *args);
#define vcpu_args_set(vcpu, n, ...) \
	vt_vcpu_args_set((vcpu), (n), (const uint64_t[]){ __VA_ARGS__ })

int vcpu_get_regs(struct vt_vcpu *vcpu, struct vmem_regs *regs);
int vcpu_set_regs(struct vt_vcpu *vcpu, const struct vmem_regs *regs);
int vcpu_get_sregs(struct vt_vcpu *vcpu, struct vmem_sregs *sregs);
int vcpu_set_sregs(struct vt_vcpu *vcpu, const struct vmem_sregs *sregs);
/* One MSR through VMEM_GET_MSRS/SET_MSRS: 0, or -1 (errno EIO if the
 * ioctl processed 0 entries). */
int vcpu_get_msr(struct vt_vcpu *vcpu, uint32_t index, uint64_t *data);
int vcpu_set_msr(struct vt_vcpu *vcpu, uint32_t index, uint64_t data);
int vcpu_inject(struct vt_vcpu *vcpu, uint32_t type, uint32_t vector,
		bool has_error, uint32_t error_code);
/* Set the CPUID table (VMEM_SET_CPUID). */
int vcpu_set_cpuid(struct vt_vcpu *vcpu, const struct vmem_cpuid *cpuid);

/* The system's supported CPUID table, cached; never freed. */
const struct vmem_cpuid *vt_supported_cpuid(void);
/* An entry of @cpuid, NULL if absent. */
const struct vmem_cpuid_entry *vt_cpuid_find(const struct vmem_cpuid *cpuid,
					     uint32_t function, uint32_t index);
/* malloc'ed table with room for @nent entries, nent set. */
struct vmem_cpuid *vt_cpuid_alloc(uint32_t nent);

/* ---------------------------------------------------------------------- */
/* Modes other than 64-bit                                                 */

/* Copy the bytes [start, end) of the test binary to guest-physical @gpa. */
int vm_load_blob(struct vt_vm *vm, uint64_t gpa, const void *start,
		 const void *end);
/* Real mode at cs:ip, ss:sp; DS=ES=FS=GS=@ds; RFLAGS 2; paging off. */
int vcpu_set_real_mode(struct vt_vcpu *vcpu, uint16_t cs, uint16_t ip,
		       uint16_t ss, uint16_t sp, uint16_t ds);
/*
 * 32-bit protected mode with the library's GDT: flat CS 0x18, data 0x10,
 * at @eip with @esp.  @cr3 nonzero: 2-level (non-PAE) paging on with that
 * page directory (CR4.PSE set).
 */
int vcpu_set_protected_mode(struct vt_vcpu *vcpu, uint32_t eip, uint32_t esp,
			    uint32_t cr3);
/* 64-bit state as vcpu_add() sets it (sregs only). */
int vcpu_set_long_mode(struct vt_vcpu *vcpu);

/* ---------------------------------------------------------------------- */
/* Running                                                                 */

/* VMEM_RUN once: 0 or -1 with errno. */
int vcpu_run(struct vt_vcpu *vcpu);
/* After an exit: if it is a ucall, fill @uc and return its cmd; else
 * UCALL_NONE. */
uint64_t vcpu_get_ucall(struct vt_vcpu *vcpu, struct vt_ucall *uc);
/*
 * Run until a ucall other than UCALL_PRINTF (those are printed and the
 * vCPU resumed).  Returns its cmd; UCALL_NONE if RUN failed or the exit
 * was not a ucall (errno: the RUN errno, or 0).
 */
uint64_t vcpu_run_ucall(struct vt_vcpu *vcpu, struct vt_ucall *uc);

/* The data of a VMEM_EXIT_IO exit, in the run area (NULL if the offset
 * is out of range). */
void *vcpu_io_data(struct vt_vcpu *vcpu);

const char *vt_exit_name(uint32_t reason);
const char *vt_ucall_name(uint64_t cmd);
const char *vt_vector_name(unsigned int vector);
/* "#"-lines describing the last exit (reason and its data). */
void vcpu_describe_exit(struct vt_vcpu *vcpu);
/* "#"-lines describing a ucall (guest assertion, exception...). */
void vcpu_describe_ucall(struct vt_vcpu *vcpu, const struct vt_ucall *uc);

/* Check helpers behind the macros below (they record a failed check). */
bool vt_expect_ucall(const char *file, int line, struct vt_vcpu *vcpu,
		     uint64_t want, struct vt_ucall *uc);
bool vt_expect_exit(const char *file, int line, struct vt_vcpu *vcpu,
		    uint32_t want);

/*
 * Run to the next ucall and check it is @cmd; a guest assertion, an
 * unexpected exception or another exit prints what happened (guest file
 * and line, vector and RIP, exit data) and fails the check.
 */
#define EXPECT_RUN_UCALL(vcpu, cmd, uc) \
	((void)vt_expect_ucall(__FILE__, __LINE__, (vcpu), (cmd), (uc)))
#define ASSERT_RUN_UCALL(vcpu, cmd, uc) do {				\
	if (!vt_expect_ucall(__FILE__, __LINE__, (vcpu), (cmd), (uc)))	\
		return VT_FAIL;						\
} while (0)
/* GUEST_SYNC(n) next. */
#define ASSERT_RUN_SYNC(vcpu, n) do {					\
	struct vt_ucall vt_uc_;						\
	ASSERT_RUN_UCALL(vcpu, UCALL_SYNC, &vt_uc_);			\
	ASSERT_EQ(vt_uc_.args[0], (n));					\
} while (0)
#define ASSERT_RUN_DONE(vcpu)	ASSERT_RUN_UCALL(vcpu, UCALL_DONE, NULL)
/* VMEM_RUN once, check the exit reason (described when it differs). */
#define ASSERT_RUN_EXIT(vcpu, reason) do {				\
	if (!vt_expect_exit(__FILE__, __LINE__, (vcpu), (reason)))	\
		return VT_FAIL;						\
} while (0)
#define EXPECT_RUN_EXIT(vcpu, reason) \
	((void)vt_expect_exit(__FILE__, __LINE__, (vcpu), (reason)))

/*
 * VMEM_RUN once and check for a port I/O exit: direction, port, size,
 * count, and for OUT (when @data is not NULL) the data, size * count bytes.
 */
bool vt_expect_io(const char *file, int line, struct vt_vcpu *vcpu,
		  uint8_t dir, uint16_t port, uint8_t size, uint32_t count,
		  const void *data);
/* One OUT of @size bytes of @value to @port. */
#define ASSERT_RUN_OUT(vcpu, port, size, value) do {			\
	uint64_t vt_v_ = (value);					\
	if (!vt_expect_io(__FILE__, __LINE__, (vcpu), VMEM_IO_OUT,	\
			  (port), (size), 1, &vt_v_))			\
		return VT_FAIL;						\
} while (0)
/* One IN of @size bytes from @port (answer with vcpu_io_data()). */
#define ASSERT_RUN_IN(vcpu, port, size) do {				\
	if (!vt_expect_io(__FILE__, __LINE__, (vcpu), VMEM_IO_IN,	\
			  (port), (size), 1, NULL))			\
		return VT_FAIL;						\
} while (0)

/* ---------------------------------------------------------------------- */
/* Leak counters                                                           */

struct vt_leaks {
	long long pages;
	long long objects;
};

/* Read /sys/kernel/debug/vmem/{pages,objects}: 0 or -errno. */
int vt_leaks_read(struct vt_leaks *l);
/*
 * Wait (bounded, 5 s) for the counters to come back to @base; prints the
 * difference and records a failed check if they do not.
 */
bool vt_leaks_check(const char *file, int line, const struct vt_leaks *base);
#define EXPECT_NO_LEAKS(base) ((void)vt_leaks_check(__FILE__, __LINE__, (base)))

#endif /* VMEM_VT_VM_H */
