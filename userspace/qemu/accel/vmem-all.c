/*
 * vmem accelerator for QEMU: the VM, its vCPUs and their exits.
 *
 * vmem (/dev/vmem) runs vCPUs and owns guest memory; QEMU keeps every
 * device model, the PIC, the I/O APIC and the local APIC.  Interrupts
 * reach the guest with VMEM_INJECT when the vCPU can take them (an
 * interrupt-window exit otherwise), port I/O and MMIO exits go into
 * QEMU's memory API, and other threads reach a vCPU with VMEM_KICK.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "cpu.h"
#include "exec/address-spaces.h"
#include "exec/ioport.h"
#include "hw/boards.h"
#include "hw/i386/apic.h"
#include "migration/blocker.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qemu/accel.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qom/object.h"
#include "sysemu/cpus.h"
#include "sysemu/runstate.h"
#include "sysemu/sysemu.h"
#include "sysemu/vmem.h"

#include "vmem-int.h"

bool vmem_allowed;
struct vmem_vm vmem_vm = { .sys_fd = -1, .vm_fd = -1 };

/* Options of -accel vmem; read once by vmem_accel_init. */
static struct {
    bool pshare;
    bool salt_set;
    uint64_t salt;
    uint32_t mmu;               /* VMEM_VM_MMU_* */
} vmem_opts = { .pshare = true, .mmu = VMEM_VM_MMU_AUTO };

/* Per vCPU, in cpu->hax_vcpu as the other accelerators do. */
struct vmem_vcpu {
    int fd;                     /* [I] */
    struct vmem_run *run;       /* [I] mmap of fd */
    uint8_t tpr;                /* [v] CR8 as last synced with the APIC */
    uint64_t apic_base;         /* [v] as last seen from vmem */
    /* [v] a vector taken from the PIC/APIC that VMEM_INJECT refused */
    int pending_irq;
};

static Error *vmem_migration_blocker;

static struct vmem_vcpu *vmem_vcpu(CPUState *cpu)
{
    return (struct vmem_vcpu *)cpu->hax_vcpu;
}

/* ---------------------------------------------------------------------- */
/* Register state                                                          */

static void vmem_put_seg(struct vmem_segment *v, const SegmentCache *q)
{
    uint32_t f = q->flags;

    memset(v, 0, sizeof(*v));
    v->base = q->base;
    v->limit = q->limit;
    v->selector = q->selector;
    v->type = (f >> DESC_TYPE_SHIFT) & 15;
    v->s = !!(f & DESC_S_MASK);
    v->dpl = (f >> DESC_DPL_SHIFT) & 3;
    v->present = !!(f & DESC_P_MASK);
    v->avl = !!(f & DESC_AVL_MASK);
    v->l = !!(f & DESC_L_MASK);
    v->db = !!(f & DESC_B_MASK);
    v->g = !!(f & DESC_G_MASK);
    v->unusable = !v->present;
}

static void vmem_get_seg(SegmentCache *q, const struct vmem_segment *v)
{
    q->selector = v->selector;
    q->base = v->base;
    q->limit = v->limit;
    q->flags = (v->type << DESC_TYPE_SHIFT) |
               (v->s ? DESC_S_MASK : 0) |
               (v->dpl << DESC_DPL_SHIFT) |
               ((v->present && !v->unusable) ? DESC_P_MASK : 0) |
               (v->avl ? DESC_AVL_MASK : 0) |
               (v->l ? DESC_L_MASK : 0) |
               (v->db ? DESC_B_MASK : 0) |
               (v->g ? DESC_G_MASK : 0);
}

/* The MSRs vmem keeps that are not in vmem_sregs (api.rst 4.14). */
static const uint32_t vmem_msr_list[] = {
    MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_FMASK, MSR_KERNELGSBASE,
    MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
    MSR_PAT, MSR_TSC_AUX, MSR_MTRRdefType,
    MSR_IA32_TSC,               /* last: written only at reset and init */
};

static uint64_t *vmem_msr_field(CPUX86State *env, uint32_t index)
{
    switch (index) {
    case MSR_STAR: return &env->star;
    case MSR_LSTAR: return &env->lstar;
    case MSR_CSTAR: return &env->cstar;
    case MSR_FMASK: return &env->fmask;
    case MSR_KERNELGSBASE: return &env->kernelgsbase;
    case MSR_IA32_SYSENTER_ESP: return &env->sysenter_esp;
    case MSR_IA32_SYSENTER_EIP: return &env->sysenter_eip;
    case MSR_PAT: return &env->pat;
    case MSR_TSC_AUX: return &env->tsc_aux;
    case MSR_MTRRdefType: return &env->mtrr_deftype;
    case MSR_IA32_TSC: return &env->tsc;
    default: return NULL;
    }
}

/*
 * Reads or writes the MSR list; an MSR vmem refuses is reported once and
 * skipped, so the others still move.
 */
static void vmem_sync_msrs(CPUState *cpu, bool put, bool with_tsc)
{
    CPUX86State *env = cpu->env_ptr;
    struct vmem_vcpu *vcpu = vmem_vcpu(cpu);
    static bool warned[ARRAY_SIZE(vmem_msr_list)];
    struct {
        struct vmem_msrs h;
        struct vmem_msr_entry e[ARRAY_SIZE(vmem_msr_list)];
    } m;
    unsigned int n = ARRAY_SIZE(vmem_msr_list) - (with_tsc ? 0 : 1);
    unsigned int i;

    for (i = 0; i < n; i++) {
        memset(&m, 0, sizeof(m));
        m.h.nmsrs = 1;
        m.e[0].index = vmem_msr_list[i];
        if (put) {
            m.e[0].data = vmem_msr_list[i] == MSR_IA32_SYSENTER_CS ?
                          env->sysenter_cs : *vmem_msr_field(env,
                                                             vmem_msr_list[i]);
        }
        if (ioctl(vcpu->fd, put ? VMEM_SET_MSRS : VMEM_GET_MSRS, &m) != 1) {
            if (!warned[i]) {
                warned[i] = true;
                warn_report("vmem: %s MSR 0x%x refused (value 0x%" PRIx64
                            ")", put ? "writing" : "reading",
                            vmem_msr_list[i], (uint64_t)m.e[0].data);
            }
            continue;
        }
        if (!put) {
            if (vmem_msr_list[i] == MSR_IA32_SYSENTER_CS) {
                env->sysenter_cs = m.e[0].data;
            } else {
                *vmem_msr_field(env, vmem_msr_list[i]) = m.e[0].data;
            }
        }
    }
}

static int vmem_put_fpu(CPUState *cpu)
{
    X86CPU *x86 = X86_CPU(cpu);
    CPUX86State *env = &x86->env;
    struct vmem_fpu *fpu = g_malloc0(sizeof(*fpu));
    X86XSaveHeader *hdr = (X86XSaveHeader *)(fpu->xsave + 512);
    int r;

    x86_cpu_xsave_all_areas(x86, fpu->xsave, sizeof(fpu->xsave));
    fpu->xcr0 = env->xcr0 ? env->xcr0 : XSTATE_FP_MASK;
    hdr->xstate_bv &= fpu->xcr0;
    hdr->xcomp_bv = 0;
    r = ioctl(vmem_vcpu(cpu)->fd, VMEM_SET_FPU, fpu);
    g_free(fpu);
    return r;
}

static int vmem_get_fpu(CPUState *cpu)
{
    X86CPU *x86 = X86_CPU(cpu);
    struct vmem_fpu *fpu = g_malloc0(sizeof(*fpu));
    int r;

    r = ioctl(vmem_vcpu(cpu)->fd, VMEM_GET_FPU, fpu);
    if (r == 0) {
        x86_cpu_xrstor_all_areas(x86, fpu->xsave, sizeof(fpu->xsave));
        x86->env.xcr0 = fpu->xcr0;
    }
    g_free(fpu);
    return r;
}

/* QEMU's copy of the vCPU into vmem; @full: at reset and init (TSC too). */
static void vmem_put_registers(CPUState *cpu, bool full)
{
    X86CPU *x86 = X86_CPU(cpu);
    CPUX86State *env = &x86->env;
    struct vmem_vcpu *vcpu = vmem_vcpu(cpu);
    struct vmem_regs regs = { 0 };
    struct vmem_sregs sregs = { 0 };
    struct vmem_debugregs dregs = { 0 };
    int i;

    regs.rax = env->regs[R_EAX];
    regs.rbx = env->regs[R_EBX];
    regs.rcx = env->regs[R_ECX];
    regs.rdx = env->regs[R_EDX];
    regs.rsi = env->regs[R_ESI];
    regs.rdi = env->regs[R_EDI];
    regs.rsp = env->regs[R_ESP];
    regs.rbp = env->regs[R_EBP];
    regs.r8 = env->regs[8];
    regs.r9 = env->regs[9];
    regs.r10 = env->regs[10];
    regs.r11 = env->regs[11];
    regs.r12 = env->regs[12];
    regs.r13 = env->regs[13];
    regs.r14 = env->regs[14];
    regs.r15 = env->regs[15];
    regs.rip = env->eip;
    regs.rflags = env->eflags;

    vmem_put_seg(&sregs.cs, &env->segs[R_CS]);
    vmem_put_seg(&sregs.ds, &env->segs[R_DS]);
    vmem_put_seg(&sregs.es, &env->segs[R_ES]);
    vmem_put_seg(&sregs.fs, &env->segs[R_FS]);
    vmem_put_seg(&sregs.gs, &env->segs[R_GS]);
    vmem_put_seg(&sregs.ss, &env->segs[R_SS]);
    vmem_put_seg(&sregs.tr, &env->tr);
    vmem_put_seg(&sregs.ldt, &env->ldt);
    sregs.gdt.base = env->gdt.base;
    sregs.gdt.limit = env->gdt.limit;
    sregs.idt.base = env->idt.base;
    sregs.idt.limit = env->idt.limit;
    sregs.cr0 = env->cr[0];
    sregs.cr2 = env->cr[2];
    sregs.cr3 = env->cr[3];
    sregs.cr4 = env->cr[4];
    sregs.efer = env->efer;
    vcpu->tpr = cpu_get_apic_tpr(x86->apic_state);
    sregs.cr8 = vcpu->tpr;
    sregs.apic_base = cpu_get_apic_base(x86->apic_state);
    vcpu->apic_base = sregs.apic_base;

    for (i = 0; i < 4; i++) {
        dregs.db[i] = env->dr[i];
    }
    dregs.dr6 = env->dr[6];
    dregs.dr7 = env->dr[7];

    if (ioctl(vcpu->fd, VMEM_SET_SREGS, &sregs) < 0) {
        error_report("vmem: VMEM_SET_SREGS of vCPU %d: %s (cr0 0x%" PRIx64
                     " cr4 0x%" PRIx64 " efer 0x%" PRIx64 ")",
                     cpu->cpu_index, strerror(errno), (uint64_t)sregs.cr0,
                     (uint64_t)sregs.cr4, (uint64_t)sregs.efer);
    }
    if (ioctl(vcpu->fd, VMEM_SET_REGS, &regs) < 0) {
        error_report("vmem: VMEM_SET_REGS of vCPU %d: %s", cpu->cpu_index,
                     strerror(errno));
    }
    if (ioctl(vcpu->fd, VMEM_SET_DEBUGREGS, &dregs) < 0) {
        error_report("vmem: VMEM_SET_DEBUGREGS of vCPU %d: %s",
                     cpu->cpu_index, strerror(errno));
    }
    if (vmem_put_fpu(cpu) < 0) {
        error_report("vmem: VMEM_SET_FPU of vCPU %d: %s", cpu->cpu_index,
                     strerror(errno));
    }
    vmem_sync_msrs(cpu, true, full);
}

static void vmem_get_registers(CPUState *cpu)
{
    X86CPU *x86 = X86_CPU(cpu);
    CPUX86State *env = &x86->env;
    struct vmem_vcpu *vcpu = vmem_vcpu(cpu);
    struct vmem_regs regs;
    struct vmem_sregs sregs;
    struct vmem_debugregs dregs;
    int i;

    if (ioctl(vcpu->fd, VMEM_GET_REGS, &regs) < 0 ||
        ioctl(vcpu->fd, VMEM_GET_SREGS, &sregs) < 0 ||
        ioctl(vcpu->fd, VMEM_GET_DEBUGREGS, &dregs) < 0) {
        error_report("vmem: reading the registers of vCPU %d: %s",
                     cpu->cpu_index, strerror(errno));
        return;
    }

    env->regs[R_EAX] = regs.rax;
    env->regs[R_EBX] = regs.rbx;
    env->regs[R_ECX] = regs.rcx;
    env->regs[R_EDX] = regs.rdx;
    env->regs[R_ESI] = regs.rsi;
    env->regs[R_EDI] = regs.rdi;
    env->regs[R_ESP] = regs.rsp;
    env->regs[R_EBP] = regs.rbp;
    env->regs[8] = regs.r8;
    env->regs[9] = regs.r9;
    env->regs[10] = regs.r10;
    env->regs[11] = regs.r11;
    env->regs[12] = regs.r12;
    env->regs[13] = regs.r13;
    env->regs[14] = regs.r14;
    env->regs[15] = regs.r15;
    env->eip = regs.rip;
    env->eflags = regs.rflags;

    vmem_get_seg(&env->segs[R_CS], &sregs.cs);
    vmem_get_seg(&env->segs[R_DS], &sregs.ds);
    vmem_get_seg(&env->segs[R_ES], &sregs.es);
    vmem_get_seg(&env->segs[R_FS], &sregs.fs);
    vmem_get_seg(&env->segs[R_GS], &sregs.gs);
    vmem_get_seg(&env->segs[R_SS], &sregs.ss);
    vmem_get_seg(&env->tr, &sregs.tr);
    vmem_get_seg(&env->ldt, &sregs.ldt);
    env->gdt.base = sregs.gdt.base;
    env->gdt.limit = sregs.gdt.limit;
    env->idt.base = sregs.idt.base;
    env->idt.limit = sregs.idt.limit;
    env->cr[0] = sregs.cr0;
    env->cr[2] = sregs.cr2;
    env->cr[3] = sregs.cr3;
    env->cr[4] = sregs.cr4;
    env->efer = sregs.efer;
    if (sregs.cr8 != vcpu->tpr) {
        vcpu->tpr = sregs.cr8;
        cpu_set_apic_tpr(x86->apic_state, vcpu->tpr);
    }

    for (i = 0; i < 4; i++) {
        env->dr[i] = dregs.db[i];
    }
    env->dr[6] = dregs.dr6;
    env->dr[7] = dregs.dr7;

    if (vmem_get_fpu(cpu) < 0) {
        error_report("vmem: VMEM_GET_FPU of vCPU %d: %s", cpu->cpu_index,
                     strerror(errno));
    }
    vmem_sync_msrs(cpu, false, true);
    x86_update_hflags(env);
}

static void do_vmem_sync_state(CPUState *cpu, run_on_cpu_data arg)
{
    vmem_get_registers(cpu);
    cpu->vcpu_dirty = true;
}

static void do_vmem_sync_full(CPUState *cpu, run_on_cpu_data arg)
{
    vmem_put_registers(cpu, true);
    cpu->vcpu_dirty = false;
}

static void do_vmem_sync_pre_loadvm(CPUState *cpu, run_on_cpu_data arg)
{
    cpu->vcpu_dirty = true;
}

void vmem_cpu_synchronize_state(CPUState *cpu)
{
    if (!cpu->vcpu_dirty) {
        run_on_cpu(cpu, do_vmem_sync_state, RUN_ON_CPU_NULL);
    }
}

void vmem_cpu_synchronize_post_reset(CPUState *cpu)
{
    run_on_cpu(cpu, do_vmem_sync_full, RUN_ON_CPU_NULL);
}

void vmem_cpu_synchronize_post_init(CPUState *cpu)
{
    run_on_cpu(cpu, do_vmem_sync_full, RUN_ON_CPU_NULL);
}

void vmem_cpu_synchronize_pre_loadvm(CPUState *cpu)
{
    run_on_cpu(cpu, do_vmem_sync_pre_loadvm, RUN_ON_CPU_NULL);
}

/* ---------------------------------------------------------------------- */
/* CPUID: QEMU's -cpu model, narrowed to what vmem can offer               */

static bool vmem_leaf_has_subleaves(uint32_t leaf)
{
    switch (leaf) {
    case 4: case 7: case 0xb: case 0xd: case 0x12: case 0x14:
    case 0x1d: case 0x1e: case 0x1f: case 0x8000001d:
        return true;
    default:
        return false;
    }
}

static bool vmem_add_cpuid(struct vmem_cpuid *t, unsigned int room,
                           CPUX86State *env, uint32_t leaf, uint32_t sub,
                           bool indexed)
{
    struct vmem_cpuid_entry *e;

    if (t->nent >= room) {
        return false;
    }
    e = &t->entries[t->nent++];
    memset(e, 0, sizeof(*e));
    e->function = leaf;
    e->index = indexed ? sub : 0;
    e->flags = indexed ? VMEM_CPUID_SIGNIFICANT_INDEX : 0;
    cpu_x86_cpuid(env, leaf, sub, &e->eax, &e->ebx, &e->ecx, &e->edx);
    return true;
}

/* The subleaves of an indexed leaf that describe something. */
static void vmem_add_indexed(struct vmem_cpuid *t, unsigned int room,
                             CPUX86State *env, uint32_t leaf)
{
    uint32_t a, b, c, d, sub, last = 63;

    if (leaf == 7 || leaf == 0x14 || leaf == 0x1d) {
        cpu_x86_cpuid(env, leaf, 0, &a, &b, &c, &d);
        last = MIN(a, 63);
    }
    for (sub = 0; sub <= last; sub++) {
        cpu_x86_cpuid(env, leaf, sub, &a, &b, &c, &d);
        if (sub > 1 && !(a | b | c | d)) {
            if (leaf == 0xd) {
                continue;       /* components are sparse */
            }
            break;
        }
        if (!vmem_add_cpuid(t, room, env, leaf, sub, true)) {
            return;
        }
        /* Caches end with a null type, topology with a null level. */
        if ((leaf == 4 || leaf == 0x8000001d) && !(a & 0x1f)) {
            break;
        }
        if ((leaf == 0xb || leaf == 0x1f) && !(c & 0xff00)) {
            break;
        }
    }
}

static int vmem_set_cpuid(CPUState *cpu)
{
    CPUX86State *env = cpu->env_ptr;
    struct vmem_vcpu *vcpu = vmem_vcpu(cpu);
    const unsigned int room = 256;
    struct vmem_cpuid *t;
    uint32_t level, xlevel, leaf, b, c, d;
    int r;

    t = g_malloc0(sizeof(*t) + room * sizeof(t->entries[0]));
    cpu_x86_cpuid(env, 0, 0, &level, &b, &c, &d);
    cpu_x86_cpuid(env, 0x80000000, 0, &xlevel, &b, &c, &d);
    for (leaf = 0; leaf <= level; leaf++) {
        if (vmem_leaf_has_subleaves(leaf)) {
            vmem_add_indexed(t, room, env, leaf);
        } else {
            vmem_add_cpuid(t, room, env, leaf, 0, false);
        }
    }
    /* vmem's hypervisor leaf, so the guest can tell where it runs. */
    if (t->nent < room) {
        struct vmem_cpuid_entry *e = &t->entries[t->nent++];

        memset(e, 0, sizeof(*e));
        e->function = 0x40000000;
        memcpy(&e->ebx, "VmemVmemVmem", 12);
    }
    for (leaf = 0x80000000; leaf <= xlevel && leaf < 0x80000100; leaf++) {
        if (vmem_leaf_has_subleaves(leaf)) {
            vmem_add_indexed(t, room, env, leaf);
        } else {
            vmem_add_cpuid(t, room, env, leaf, 0, false);
        }
    }
    /* vmem masks the feature words with what it can offer (4.15). */
    r = ioctl(vcpu->fd, VMEM_SET_CPUID, t);
    if (r < 0) {
        r = -errno;
        error_report("vmem: VMEM_SET_CPUID (%u entries): %s", t->nent,
                     strerror(errno));
    }
    g_free(t);
    return r;
}

/* ---------------------------------------------------------------------- */
/* The exit loop                                                           */

static const char *vmem_exit_name(uint32_t reason)
{
    static const char *const names[] = {
        [VMEM_EXIT_NONE] = "NONE", [VMEM_EXIT_IO] = "IO",
        [VMEM_EXIT_MMIO] = "MMIO", [VMEM_EXIT_HLT] = "HLT",
        [VMEM_EXIT_HYPERCALL] = "HYPERCALL",
        [VMEM_EXIT_SHUTDOWN] = "SHUTDOWN",
        [VMEM_EXIT_IRQ_WINDOW] = "IRQ_WINDOW",
        [VMEM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
        [VMEM_EXIT_INTERNAL] = "INTERNAL", [VMEM_EXIT_STOPPED] = "STOPPED",
        [VMEM_EXIT_MSR] = "MSR",
    };

    return reason < ARRAY_SIZE(names) && names[reason] ? names[reason] : "?";
}

void vmem_kick_vcpu(CPUState *cpu)
{
    struct vmem_vcpu *vcpu = vmem_vcpu(cpu);

    qatomic_set(&cpu->exit_request, 1);
    smp_mb();
    if (vcpu) {
        ioctl(vcpu->fd, VMEM_KICK, 0);
    }
}

static void vmem_inject_irq(CPUState *cpu, struct vmem_vcpu *vcpu, int vec)
{
    struct vmem_event ev = { .type = VMEM_EVENT_EXTINT, .vector = vec };

    if (ioctl(vcpu->fd, VMEM_INJECT, &ev) == 0) {
        vcpu->pending_irq = -1;
        return;
    }
    if (errno != EBUSY) {
        error_report("vmem: VMEM_INJECT vector %d: %s", vec, strerror(errno));
    }
    /* Keep the vector and deliver it at the next interrupt window. */
    vcpu->pending_irq = vec;
    vcpu->run->request_interrupt_window = 1;
}

/* Before entering: TPR, NMIs and interrupts from QEMU's PIC and APIC. */
static void vmem_pre_run(CPUState *cpu, struct vmem_vcpu *vcpu)
{
    X86CPU *x86 = X86_CPU(cpu);
    struct vmem_run *run = vcpu->run;
    uint8_t tpr;

    qemu_mutex_lock_iothread();

    tpr = cpu_get_apic_tpr(x86->apic_state);
    if (tpr != vcpu->tpr) {
        struct vmem_sregs sregs;

        vcpu->tpr = tpr;
        if (ioctl(vcpu->fd, VMEM_GET_SREGS, &sregs) == 0) {
            sregs.cr8 = tpr;
            if (ioctl(vcpu->fd, VMEM_SET_SREGS, &sregs) < 0) {
                error_report("vmem: setting CR8: %s", strerror(errno));
            }
        }
    }

    if (cpu->interrupt_request & (CPU_INTERRUPT_INIT | CPU_INTERRUPT_TPR)) {
        qatomic_set(&cpu->exit_request, 1);
    }

    if (cpu->interrupt_request & CPU_INTERRUPT_NMI) {
        struct vmem_event ev = { .type = VMEM_EVENT_NMI, .vector = 2 };

        cpu->interrupt_request &= ~CPU_INTERRUPT_NMI;
        if (ioctl(vcpu->fd, VMEM_INJECT, &ev) < 0) {
            error_report("vmem: injecting an NMI: %s", strerror(errno));
        }
    }

    if (vcpu->pending_irq >= 0) {
        if (run->ready_for_interrupt) {
            vmem_inject_irq(cpu, vcpu, vcpu->pending_irq);
        } else {
            run->request_interrupt_window = 1;
        }
    } else if (cpu->interrupt_request & CPU_INTERRUPT_HARD) {
        if (run->ready_for_interrupt) {
            int vec;

            cpu->interrupt_request &= ~CPU_INTERRUPT_HARD;
            vec = cpu_get_pic_interrupt(&x86->env);
            if (vec >= 0) {
                vmem_inject_irq(cpu, vcpu, vec);
            }
        } else {
            run->request_interrupt_window = 1;
        }
    }

    /* vmem has no SMM. */
    cpu->interrupt_request &= ~CPU_INTERRUPT_SMI;

    qemu_mutex_unlock_iothread();
}

/* After an exit: what QEMU's APIC and the halt logic need to know. */
static void vmem_post_run(CPUState *cpu, struct vmem_vcpu *vcpu)
{
    X86CPU *x86 = X86_CPU(cpu);
    CPUX86State *env = &x86->env;
    struct vmem_run *run = vcpu->run;

    env->eflags = (env->eflags & ~IF_MASK) | (run->if_flag ? IF_MASK : 0);
    if (run->exit_reason == VMEM_EXIT_IRQ_WINDOW) {
        run->request_interrupt_window = 0;
    }
    if (run->cr8 != vcpu->tpr || run->apic_base != vcpu->apic_base) {
        qemu_mutex_lock_iothread();
        if (run->cr8 != vcpu->tpr) {
            vcpu->tpr = run->cr8;
            cpu_set_apic_tpr(x86->apic_state, vcpu->tpr);
        }
        if (run->apic_base != vcpu->apic_base) {
            vcpu->apic_base = run->apic_base;
            cpu_set_apic_base(x86->apic_state, vcpu->apic_base);
        }
        qemu_mutex_unlock_iothread();
    }
}

static void vmem_handle_io(struct vmem_vcpu *vcpu)
{
    struct vmem_run *run = vcpu->run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    bool out = run->io.direction == VMEM_IO_OUT;
    uint32_t i;

    if (run->io.data_offset < VMEM_RUN_IO_DATA_OFFSET ||
        run->io.data_offset + (uint64_t)run->io.count * run->io.size >
        VMEM_RUN_IO_DATA_OFFSET + VMEM_RUN_IO_DATA_SIZE) {
        error_report("vmem: IO exit with data outside the run area");
        return;
    }
    qemu_mutex_lock_iothread();
    for (i = 0; i < run->io.count; i++) {
        address_space_rw(&address_space_io, run->io.port,
                         MEMTXATTRS_UNSPECIFIED, data + i * run->io.size,
                         run->io.size, out);
    }
    qemu_mutex_unlock_iothread();
}

static void vmem_handle_mmio(struct vmem_vcpu *vcpu)
{
    struct vmem_run *run = vcpu->run;

    qemu_mutex_lock_iothread();
    address_space_rw(&address_space_memory, run->mmio.gpa,
                     MEMTXATTRS_UNSPECIFIED, run->mmio.data,
                     MIN(run->mmio.len, sizeof(run->mmio.data)),
                     run->mmio.is_write);
    qemu_mutex_unlock_iothread();
}

/*
 * MSRs outside vmem's set: the few platform MSRs firmware and Linux
 * probe read as 0 and ignore writes, as on a CPU without MCA or
 * variable MTRRs; every other one gives #GP, as on a CPU without it.
 */
static void vmem_handle_msr(CPUState *cpu, struct vmem_vcpu *vcpu)
{
    struct vmem_run *run = vcpu->run;
    uint32_t idx = run->msr.index;

    switch (idx) {
    case MSR_MTRRcap:
    case MSR_MCG_CAP:
    case MSR_MCG_STATUS:
    case MSR_MTRRphysBase(0) ... MSR_MTRRphysMask(MSR_MTRRcap_VCNT - 1):
    case MSR_MTRRfix64K_00000:
    case MSR_MTRRfix16K_80000:
    case MSR_MTRRfix16K_A0000:
    case MSR_MTRRfix4K_C0000 ... MSR_MTRRfix4K_F8000:
        if (!run->msr.is_write) {
            run->msr.data = 0;
        }
        break;
    default:
        run->msr.error = 1;
        break;
    }
    if (vmem_vm.trace) {
        fprintf(stderr, "vmem: cpu %d %s msr 0x%x data 0x%" PRIx64 "%s\n",
                cpu->cpu_index, run->msr.is_write ? "wrmsr" : "rdmsr", idx,
                (uint64_t)run->msr.data, run->msr.error ? " #GP" : "");
    }
}

static void vmem_trace_exit(CPUState *cpu, struct vmem_run *run)
{
    switch (run->exit_reason) {
    case VMEM_EXIT_IO:
        fprintf(stderr, "vmem: cpu %d IO %s port 0x%x size %u count %u\n",
                cpu->cpu_index, run->io.direction ? "out" : "in",
                run->io.port, run->io.size, run->io.count);
        break;
    case VMEM_EXIT_MMIO:
        fprintf(stderr, "vmem: cpu %d MMIO %s gpa 0x%" PRIx64 " len %u\n",
                cpu->cpu_index, run->mmio.is_write ? "write" : "read",
                (uint64_t)run->mmio.gpa, run->mmio.len);
        break;
    case VMEM_EXIT_MSR:
        break;
    default:
        fprintf(stderr, "vmem: cpu %d %s\n", cpu->cpu_index,
                vmem_exit_name(run->exit_reason));
        break;
    }
}

/* An exit QEMU cannot go on from: say which, show the vCPU, stop the VM. */
static void vmem_fatal_exit(CPUState *cpu, struct vmem_vcpu *vcpu)
{
    struct vmem_run *run = vcpu->run;
    char insn[16 * 3 + 1] = "";
    uint32_t i;

    switch (run->exit_reason) {
    case VMEM_EXIT_INTERNAL:
        for (i = 0; i < MIN(run->internal.insn_len, 16u); i++) {
            snprintf(insn + 3 * i, 4, " %02x", run->internal.insn[i]);
        }
        error_report("vmem: vCPU %d: exit VMEM_EXIT_INTERNAL (suberror %u "
                     "%s, hardware exit 0x%" PRIx64 ", gpa 0x%" PRIx64
                     ", instruction%s)", cpu->cpu_index,
                     run->internal.suberror,
                     run->internal.suberror == VMEM_INTERNAL_EMULATION ?
                     "EMULATION" : run->internal.suberror ==
                     VMEM_INTERNAL_UNEXPECTED ? "UNEXPECTED" : "?",
                     (uint64_t)run->internal.hardware_exit,
                     (uint64_t)run->internal.gpa, insn);
        break;
    case VMEM_EXIT_FAIL_ENTRY:
        error_report("vmem: vCPU %d: exit VMEM_EXIT_FAIL_ENTRY (hardware "
                     "reason 0x%" PRIx64 ", qualification 0x%" PRIx64 ")",
                     cpu->cpu_index,
                     (uint64_t)run->fail_entry.hardware_reason,
                     (uint64_t)run->fail_entry.qualification);
        break;
    default:
        error_report("vmem: vCPU %d: unexpected exit %u (%s)",
                     cpu->cpu_index, run->exit_reason,
                     vmem_exit_name(run->exit_reason));
        break;
    }
    vmem_get_registers(cpu);
    cpu_dump_state(cpu, stderr, CPU_DUMP_CODE);
    qemu_mutex_lock_iothread();
    qemu_system_guest_panicked(cpu_get_crash_info(cpu));
    qemu_mutex_unlock_iothread();
}

/*
 * Runs the vCPU until QEMU's main loop needs the thread (returns an EXCP_*
 * code); called and returns with the iothread lock held.
 */
static int vmem_vcpu_loop(CPUState *cpu)
{
    X86CPU *x86 = X86_CPU(cpu);
    CPUX86State *env = &x86->env;
    struct vmem_vcpu *vcpu = vmem_vcpu(cpu);
    struct vmem_run *run = vcpu->run;
    int ret = 0;

    if (cpu->interrupt_request & CPU_INTERRUPT_INIT) {
        vmem_cpu_synchronize_state(cpu);
        do_cpu_init(x86);
        vcpu->pending_irq = -1;
    }
    if (cpu->interrupt_request & CPU_INTERRUPT_POLL) {
        cpu->interrupt_request &= ~CPU_INTERRUPT_POLL;
        apic_poll_irq(x86->apic_state);
    }
    if (((cpu->interrupt_request & CPU_INTERRUPT_HARD) &&
         (env->eflags & IF_MASK)) ||
        (cpu->interrupt_request & CPU_INTERRUPT_NMI) ||
        vcpu->pending_irq >= 0) {
        cpu->halted = false;
    }
    if (cpu->interrupt_request & CPU_INTERRUPT_SIPI) {
        /*
         * Taken once, as TCG does: a SIPI left pending would count as
         * work for x86_cpu_has_work() and never let a halted AP sleep.
         */
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_SIPI);
        vmem_cpu_synchronize_state(cpu);
        do_cpu_sipi(x86);
    }
    if (cpu->interrupt_request & CPU_INTERRUPT_TPR) {
        cpu->interrupt_request &= ~CPU_INTERRUPT_TPR;
        vmem_cpu_synchronize_state(cpu);
        apic_handle_tpr_access_report(x86->apic_state, env->eip,
                                      env->tpr_access_type);
    }
    if (cpu->halted) {
        cpu->exception_index = EXCP_HLT;
        qatomic_set(&cpu->exit_request, 0);
        return EXCP_HLT;
    }

    qemu_mutex_unlock_iothread();
    cpu_exec_start(cpu);

    while (ret == 0) {
        if (cpu->vcpu_dirty) {
            vmem_put_registers(cpu, false);
            cpu->vcpu_dirty = false;
        }
        vmem_pre_run(cpu, vcpu);
        if (qatomic_read(&cpu->exit_request)) {
            /*
             * Completes a pending exit and comes back at once (api.rst
             * 5.3, 5.5): QEMU may change the registers after this.
             */
            run->stop = 1;
        }
        smp_mb();

        if (ioctl(vcpu->fd, VMEM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                ret = EXCP_INTERRUPT;
                break;
            }
            error_report("vmem: VMEM_RUN of vCPU %d: %s%s", cpu->cpu_index,
                         strerror(errno),
                         errno == EDQUOT ? " (the VM or its pool is at its "
                         "limit and has no swap file)" : "");
            qemu_mutex_lock_iothread();
            vm_stop(RUN_STATE_INTERNAL_ERROR);
            qemu_mutex_unlock_iothread();
            ret = EXCP_INTERRUPT;
            break;
        }
        vmem_post_run(cpu, vcpu);
        if (vmem_vm.trace) {
            vmem_trace_exit(cpu, run);
        }

        switch (run->exit_reason) {
        case VMEM_EXIT_IO:
            vmem_handle_io(vcpu);
            break;
        case VMEM_EXIT_MMIO:
            vmem_handle_mmio(vcpu);
            break;
        case VMEM_EXIT_MSR:
            vmem_handle_msr(cpu, vcpu);
            break;
        case VMEM_EXIT_IRQ_WINDOW:
        case VMEM_EXIT_NONE:
            break;
        case VMEM_EXIT_STOPPED:
            run->stop = 0;
            ret = EXCP_INTERRUPT;
            break;
        case VMEM_EXIT_HLT:
            qemu_mutex_lock_iothread();
            if (!((cpu->interrupt_request & CPU_INTERRUPT_HARD) &&
                  (env->eflags & IF_MASK)) &&
                !(cpu->interrupt_request & CPU_INTERRUPT_NMI) &&
                vcpu->pending_irq < 0) {
                cpu->halted = true;
                cpu->exception_index = EXCP_HLT;
                ret = EXCP_HLT;
            }
            qemu_mutex_unlock_iothread();
            break;
        case VMEM_EXIT_HYPERCALL:
            /* QEMU answers no hypercalls of its own. */
            run->hypercall.ret = (uint64_t)-VMEM_HC_ENOSYS;
            break;
        case VMEM_EXIT_SHUTDOWN:
            /* vmem has put the vCPU in its INIT state already. */
            qemu_mutex_lock_iothread();
            qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
            qemu_mutex_unlock_iothread();
            ret = EXCP_INTERRUPT;
            break;
        default:
            vmem_fatal_exit(cpu, vcpu);
            ret = EXCP_INTERRUPT;
            break;
        }
    }

    cpu_exec_end(cpu);
    qemu_mutex_lock_iothread();
    qatomic_set(&cpu->exit_request, 0);
    return ret;
}

int vmem_vcpu_exec(CPUState *cpu)
{
    int ret;

    for (;;) {
        if (cpu->exception_index >= EXCP_INTERRUPT) {
            ret = cpu->exception_index;
            cpu->exception_index = -1;
            return ret;
        }
        ret = vmem_vcpu_loop(cpu);
        if (ret >= EXCP_INTERRUPT) {
            cpu->exception_index = -1;
            return ret;
        }
    }
}

int vmem_init_vcpu(CPUState *cpu)
{
    struct vmem_vcpu *vcpu;
    Error *err = NULL;
    int r;

    if (!vmem_migration_blocker) {
        error_setg(&vmem_migration_blocker,
                   "vmem: migration is not supported yet");
        if (migrate_add_blocker(vmem_migration_blocker, &err) < 0) {
            error_report_err(err);
            error_free(vmem_migration_blocker);
            vmem_migration_blocker = NULL;
            return -EINVAL;
        }
    }

    vcpu = g_new0(struct vmem_vcpu, 1);
    vcpu->pending_irq = -1;
    vcpu->fd = ioctl(vmem_vm.vm_fd, VMEM_CREATE_VCPU,
                     (unsigned long)cpu->cpu_index);
    if (vcpu->fd < 0) {
        r = -errno;
        g_free(vcpu);
        return r;
    }
    vcpu->run = mmap(NULL, vmem_vm.run_size, PROT_READ | PROT_WRITE,
                     MAP_SHARED, vcpu->fd, 0);
    if (vcpu->run == MAP_FAILED) {
        r = -errno;
        close(vcpu->fd);
        g_free(vcpu);
        return r;
    }
    cpu->hax_vcpu = (struct hax_vcpu_state *)vcpu;

    r = vmem_set_cpuid(cpu);
    if (r < 0) {
        return r;
    }
    cpu->vcpu_dirty = true;
    return 0;
}

void vmem_destroy_vcpu(CPUState *cpu)
{
    struct vmem_vcpu *vcpu = vmem_vcpu(cpu);

    if (!vcpu) {
        return;
    }
    cpu->hax_vcpu = NULL;
    munmap(vcpu->run, vmem_vm.run_size);
    close(vcpu->fd);
    g_free(vcpu);
}

/* ---------------------------------------------------------------------- */
/* The accelerator and its options                                         */

/* -name, as vmem accepts names: [A-Za-z0-9._:-], at most 31. */
static void vmem_set_name(void)
{
    struct vmem_vm_name n = { 0 };
    size_t i;

    if (!qemu_name || !*qemu_name) {
        return;
    }
    for (i = 0; qemu_name[i] && i < VMEM_VM_NAME_MAX - 1; i++) {
        char c = qemu_name[i];

        n.name[i] = (g_ascii_isalnum(c) || strchr("._:-", c)) ? c : '_';
    }
    if (qemu_name[i] || strcmp(n.name, qemu_name)) {
        warn_report("vmem: the VM is named '%s' (vmem takes at most %d "
                    "characters of [A-Za-z0-9._:-])", n.name,
                    VMEM_VM_NAME_MAX - 1);
    }
    if (ioctl(vmem_vm.vm_fd, VMEM_SET_VM_NAME, &n) < 0) {
        warn_report("vmem: VMEM_SET_VM_NAME '%s': %s", n.name,
                    strerror(errno));
    }
}

static int vmem_accel_init(MachineState *ms)
{
    struct vmem_pshare ps = { 0 };
    const char *dev = getenv("VMEM_QEMU_DEVICE");
    int r, hw, shadow, max_vcpus, backing;

    vmem_vm.trace = getenv("VMEM_QEMU_TRACE") && *getenv("VMEM_QEMU_TRACE");
    vmem_vm.sys_fd = qemu_open_old(dev ? dev : "/dev/vmem", O_RDWR);
    if (vmem_vm.sys_fd < 0) {
        error_report("vmem: cannot open %s: %s", dev ? dev : "/dev/vmem",
                     strerror(errno));
        return -errno;
    }
    r = ioctl(vmem_vm.sys_fd, VMEM_GET_API_VERSION, 0);
    if (r != VMEM_API_VERSION) {
        error_report("vmem: the module speaks API version %d, this QEMU %d",
                     r, VMEM_API_VERSION);
        return -EINVAL;
    }
    backing = ioctl(vmem_vm.sys_fd, VMEM_CHECK_EXTENSION, VMEM_CAP_BACKING);
    if (backing <= 0) {
        error_report("vmem: the module has no backing API "
                     "(VMEM_CAP_BACKING); QEMU needs it for its memory");
        return -EINVAL;
    }
    hw = ioctl(vmem_vm.sys_fd, VMEM_CHECK_EXTENSION, VMEM_CAP_HW_MMU);
    shadow = ioctl(vmem_vm.sys_fd, VMEM_CHECK_EXTENSION,
                   VMEM_CAP_SHADOW_MMU);
    if (vmem_opts.mmu == VMEM_VM_MMU_HW && hw <= 0) {
        error_report("vmem: mmu=hw: this host offers no NPT/EPT "
                     "(use mmu=shadow or mmu=auto)");
        return -EINVAL;
    }
    if (vmem_opts.mmu == VMEM_VM_MMU_SHADOW && shadow <= 0) {
        error_report("vmem: mmu=shadow: the shadow MMU is not available");
        return -EINVAL;
    }
    max_vcpus = ioctl(vmem_vm.sys_fd, VMEM_CHECK_EXTENSION,
                      VMEM_CAP_MAX_VCPUS);
    if (max_vcpus > 0 && ms->smp.max_cpus > max_vcpus) {
        error_report("vmem: %u vCPUs asked, vmem runs at most %d per VM",
                     ms->smp.max_cpus, max_vcpus);
        return -EINVAL;
    }
    vmem_vm.max_vcpus = max_vcpus;
    r = ioctl(vmem_vm.sys_fd, VMEM_CHECK_EXTENSION, VMEM_CAP_RUN_SIZE);
    if (r < (int)sizeof(struct vmem_run)) {
        error_report("vmem: run area of %d bytes, need %zu", r,
                     sizeof(struct vmem_run));
        return -EINVAL;
    }
    vmem_vm.run_size = r;

    vmem_vm.vm_fd = ioctl(vmem_vm.sys_fd, VMEM_CREATE_VM, vmem_opts.mmu);
    if (vmem_vm.vm_fd < 0) {
        r = -errno;
        error_report("vmem: VMEM_CREATE_VM: %s", strerror(errno));
        return r;
    }

    ps.flags = VMEM_PSHARE_SET_ENABLE;
    ps.enable = vmem_opts.pshare;
    if (vmem_opts.salt_set) {
        ps.flags |= VMEM_PSHARE_SET_SALT;
        ps.salt = vmem_opts.salt;
    }
    if (ioctl(vmem_vm.vm_fd, VMEM_PSHARE, &ps) < 0) {
        r = -errno;
        error_report("vmem: VMEM_PSHARE (pshare=%s%s): %s",
                     vmem_opts.pshare ? "on" : "off",
                     vmem_opts.salt_set ? ", salt" : "", strerror(errno));
        return r;
    }
    vmem_set_name();
    vmem_memory_init();
    return 0;
}

static bool vmem_get_pshare(Object *obj, Error **errp)
{
    return vmem_opts.pshare;
}

static void vmem_set_pshare(Object *obj, bool value, Error **errp)
{
    vmem_opts.pshare = value;
}

static char *vmem_get_mmu(Object *obj, Error **errp)
{
    return g_strdup(vmem_opts.mmu == VMEM_VM_MMU_HW ? "hw" :
                    vmem_opts.mmu == VMEM_VM_MMU_SHADOW ? "shadow" : "auto");
}

static void vmem_set_mmu(Object *obj, const char *value, Error **errp)
{
    if (!strcmp(value, "auto")) {
        vmem_opts.mmu = VMEM_VM_MMU_AUTO;
    } else if (!strcmp(value, "hw")) {
        vmem_opts.mmu = VMEM_VM_MMU_HW;
    } else if (!strcmp(value, "shadow")) {
        vmem_opts.mmu = VMEM_VM_MMU_SHADOW;
    } else {
        error_setg(errp, "vmem: mmu='%s': must be auto, hw or shadow", value);
    }
}

static void vmem_get_salt(Object *obj, Visitor *v, const char *name,
                          void *opaque, Error **errp)
{
    uint64_t salt = vmem_opts.salt;

    visit_type_uint64(v, name, &salt, errp);
}

static void vmem_set_salt(Object *obj, Visitor *v, const char *name,
                          void *opaque, Error **errp)
{
    uint64_t salt;

    if (!visit_type_uint64(v, name, &salt, errp)) {
        return;
    }
    vmem_opts.salt = salt;
    vmem_opts.salt_set = true;
}

static void vmem_accel_class_init(ObjectClass *oc, void *data)
{
    AccelClass *ac = ACCEL_CLASS(oc);

    ac->name = "vmem";
    ac->init_machine = vmem_accel_init;
    ac->allowed = &vmem_allowed;

    object_class_property_add_bool(oc, "pshare", vmem_get_pshare,
                                   vmem_set_pshare);
    object_class_property_set_description(oc, "pshare",
        "vmem transparent page sharing for this VM (default on)");
    object_class_property_add(oc, "salt", "uint64", vmem_get_salt,
                              vmem_set_salt, NULL, NULL);
    object_class_property_set_description(oc, "salt",
        "vmem page sharing salt (pages are shared between equal salts)");
    object_class_property_add_str(oc, "mmu", vmem_get_mmu, vmem_set_mmu);
    object_class_property_set_description(oc, "mmu",
        "vmem MMU: auto, hw (NPT/EPT) or shadow");
}

static const TypeInfo vmem_accel_type = {
    .name = ACCEL_CLASS_NAME("vmem"),
    .parent = TYPE_ACCEL,
    .class_init = vmem_accel_class_init,
};

static void vmem_type_init(void)
{
    type_register_static(&vmem_accel_type);
}
type_init(vmem_type_init);
