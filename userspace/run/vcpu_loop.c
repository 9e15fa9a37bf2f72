// SPDX-License-Identifier: GPL-2.0
/*
 * vcpu_loop.c - the vCPU thread: enter the guest, handle its exits,
 * deliver the PIC's interrupts; see machine.h.
 *
 * Interrupt delivery, as on a PC with only an 8259: when the PIC has a
 * request and the guest can take one now (run area: ready for interrupt),
 * the INTA cycle happens here (pic_ack) and the vector is injected as an
 * external interrupt; otherwise an interrupt-window exit is requested
 * and the injection waits for it.  A vector acknowledged but refused
 * (-EBUSY) is held and injected first at the next chance, so the PIC's
 * in-service state never loses an interrupt.
 */
#include <errno.h>
#include <string.h>

#include "machine.h"

/* Before an entry: inject or ask for a window.  Lock held. */
static void prepare_entry(struct machine *m)
{
	struct vmm_vcpu *vcpu = m->vcpu;
	bool ready = vmm_vcpu_ready_for_interrupt(vcpu);
	int ret;

	if (m->held_vector < 0 && ready && pic_pending(&m->pic))
		m->held_vector = pic_ack(&m->pic);
	if (m->held_vector >= 0 && ready) {
		ret = vmm_vcpu_inject_extint(vcpu, (uint8_t)m->held_vector);
		if (!ret) {
			m->held_vector = -1;
			m->n.injected++;
		} else if (ret != -EBUSY) {
			machine_end(m, END_ERROR, "VMM inject of vector %d: %s",
				    m->held_vector, strerror(-ret));
		}
	}
	/* Anything left waits for the guest to open an interrupt window. */
	m->window_requested = m->held_vector >= 0 || pic_pending(&m->pic);
	vmm_vcpu_request_irq_window(vcpu, m->window_requested);
}

static void handle_io(struct machine *m, struct vmm_exit *ex)
{
	unsigned int i, size = ex->io.size;
	uint8_t *p = ex->io.data;

	if (size != 1 && size != 2 && size != 4) {
		machine_end(m, END_ERROR, "port I/O of size %u at 0x%x", size,
			    ex->io.port);
		return;
	}
	for (i = 0; i < ex->io.count; i++, p += size) {
		uint32_t v = 0;

		if (ex->io.out) {
			memcpy(&v, p, size);
			bus_out(&m->bus, ex->io.port, size, v);
		} else {
			v = bus_in(&m->bus, ex->io.port, size);
			memcpy(p, &v, size);
		}
	}
}

static void handle_mmio(struct machine *m, struct vmm_exit *ex)
{
	static bool logged;

	/* No MMIO devices: reads float high, writes vanish. */
	if (!ex->mmio.write)
		memset(ex->mmio.data, 0xff, ex->mmio.len);
	if (m->cfg->verbose && !logged) {
		logged = true;
		run_msg("MMIO %s at 0x%llx (no device there; logged once)",
			ex->mmio.write ? "write" : "read",
			(unsigned long long)ex->mmio.gpa);
	}
}

static void handle_msr(struct machine *m, struct vmm_exit *ex)
{
	int ret;

	if (ex->msr.write)
		ret = msr_write(&m->msr, ex->msr.index, *ex->msr.data);
	else
		ret = msr_read(&m->msr, ex->msr.index, ex->msr.data);
	*ex->msr.error = ret < 0;
}

/* HLT: sleep until the PIC has something, or the machine ends. */
static void handle_hlt(struct machine *m)
{
	/*
	 * Interrupts off and no NMI source: nothing can wake it, a vector
	 * held for injection included (it needs IF too).
	 */
	if (!vmm_vcpu_if_flag(m->vcpu)) {
		machine_end(m, END_HALT, "the guest halted with interrupts "
			    "off: it will never run again");
		return;
	}
	m->vcpu_state = VCPU_HALTED;
	while (m->end == END_NONE && m->held_vector < 0 &&
	       !pic_pending(&m->pic))
		pthread_cond_wait(&m->wake, &m->lock);
	m->vcpu_state = VCPU_OUTSIDE;
}

static void dump_state(struct machine *m)
{
	struct vmem_regs r;
	struct vmem_sregs s;

	if (vmm_vcpu_get_regs(m->vcpu, &r) || vmm_vcpu_get_sregs(m->vcpu, &s))
		return;
	run_msg("rip %016llx rsp %016llx rflags %08llx cr0 %08llx cr3 %016llx "
		"cr4 %08llx efer %llx cs %04x",
		(unsigned long long)r.rip, (unsigned long long)r.rsp,
		(unsigned long long)r.rflags, (unsigned long long)s.cr0,
		(unsigned long long)s.cr3, (unsigned long long)s.cr4,
		(unsigned long long)s.efer, s.cs.selector);
}

static void handle_exit(struct machine *m, struct vmm_exit *ex)
{
	m->n.exits++;
	switch (ex->reason) {
	case VMM_EXIT_IO:
		m->n.io++;
		handle_io(m, ex);
		break;
	case VMM_EXIT_MMIO:
		m->n.mmio++;
		handle_mmio(m, ex);
		break;
	case VMM_EXIT_HLT:
		m->n.hlt++;
		handle_hlt(m);
		break;
	case VMM_EXIT_IRQ_WINDOW:
		m->n.irq_window++;
		break;
	case VMM_EXIT_KICKED:
		m->n.kicked++;
		break;
	case VMM_EXIT_MSR:
		m->n.msr++;
		handle_msr(m, ex);
		break;
	case VMM_EXIT_HYPERCALL:
		m->n.other++;
		*ex->hypercall.ret = (uint64_t)-1000;	/* KVM_ENOSYS */
		break;
	case VMM_EXIT_SHUTDOWN:
		m->n.other++;
		/* No register dump: after a shutdown the state is
		 * undefined (AMD) and hypervisors reset it. */
		machine_end(m, END_TRIPLE_FAULT, "the guest triple-faulted "
			    "(shutdown) without asking for a reset");
		break;
	case VMM_EXIT_FAIL_ENTRY:
		m->n.other++;
		machine_end(m, END_ERROR, "the hardware refused to enter the "
			    "guest: reason 0x%llx, qualification 0x%llx",
			    (unsigned long long)ex->fail_entry.hardware_reason,
			    (unsigned long long)ex->fail_entry.qualification);
		dump_state(m);
		break;
	case VMM_EXIT_INTERNAL:
		m->n.other++;
		machine_end(m, END_ERROR, "the hypervisor could not handle an "
			    "exit: suberror %u, hardware exit 0x%llx",
			    ex->internal.suberror,
			    (unsigned long long)ex->internal.hardware_exit);
		dump_state(m);
		break;
	default:
		m->n.other++;
		machine_end(m, END_ERROR, "unexpected exit %u",
			    ex->raw_reason);
		dump_state(m);
		break;
	}
}

void vcpu_loop(struct machine *m)
{
	struct vmm_exit ex;
	int ret;

	pthread_mutex_lock(&m->lock);
	while (m->end == END_NONE) {
		prepare_entry(m);
		if (m->end != END_NONE)
			break;
		m->vcpu_state = VCPU_RUNNING;
		m->kick_sent = false;
		pthread_mutex_unlock(&m->lock);

		ret = vmm_vcpu_run(m->vcpu, &ex);

		pthread_mutex_lock(&m->lock);
		m->vcpu_state = VCPU_OUTSIDE;
		if (ret < 0) {
			machine_end(m, END_ERROR, "VMM run: %s", strerror(-ret));
			break;
		}
		handle_exit(m, &ex);
	}
	pthread_mutex_unlock(&m->lock);
}
