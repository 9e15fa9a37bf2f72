#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Static check of the world switches in a built vmem.ko: the harness cannot
# observe speculation, so this reads the machine code instead.
#
#   check-entry.sh vmem.ko...
#
# For each module, from the VM entry instruction (VMRUN in __svm_vcpu_run,
# VMRESUME in __vmx_vcpu_run) to the first RET, indirect branch, return or
# indirect thunk, or direct call of another function, there must be:
#
#   SVM: an RSB fill (an alternative on X86_FEATURE_RETPOLINE or
#        X86_FEATURE_RSB_VMEXIT whose replacement is a CALL-stuffing loop),
#        and the Retbleed/SRSO untraining (alternatives calling
#        entry_untrain_ret, srso_alias_untrain_ret and entry_ibpb, the last
#        on X86_FEATURE_IBPB_ON_VMEXIT);
#   VMX: an RSB fill on X86_FEATURE_RSB_VMEXIT, the rewrite of SPEC_CTRL
#        for legacy IBRS (a WRMSR), and the branch-history clearing
#        (clear_bhb_loop) the kernel uses on VM exit;
#
# and before the entry instruction a VERW of x86_verw_sel (the kernel's
# CPU-buffer clearing).  Alternatives count by their site: patched or not,
# the site sits in the window and the replacement does the work.
#
# Prints "RESULT PASS|FAIL entry/<name> ..." per module and backend; exits
# 1 if any failed.
set -euo pipefail

[ $# -gt 0 ] || { echo "usage: $0 vmem.ko..." >&2; exit 2; }
command -v objdump >/dev/null || { echo "check-entry: no objdump" >&2; exit 2; }

exec python3 - "$@" <<'EOF'
import re
import struct
import subprocess
import sys

# asm/cpufeatures.h, the same numbers on 6.1 and 6.12.
X86_FEATURE_RETPOLINE = 11 * 32 + 12
X86_FEATURE_RSB_VMEXIT = 7 * 32 + 13
X86_FEATURE_IBPB_ON_VMEXIT = 11 * 32 + 26


def run(*args):
    return subprocess.run(args, check=True, capture_output=True,
                          text=True).stdout


def disasm(ko):
    """{section: [(offset, instruction, [relocation targets])]}"""
    out = run("objdump", "-dr", "--no-show-raw-insn", ko)
    code, sec = {}, None
    insn = re.compile(r"^\s*([0-9a-f]+):\s+(.*)$")
    rel = re.compile(r"^\s*([0-9a-f]+):\s+(R_X86_64_\w+)\s+(\S+)$")
    for line in out.splitlines():
        m = re.match(r"^Disassembly of section (\S+):", line)
        if m:
            sec = m.group(1)
            code.setdefault(sec, [])
            continue
        m = rel.match(line)
        if m and code.get(sec):
            code[sec][-1][2].append(m.group(3))
            continue
        m = insn.match(line)
        if m and sec is not None:
            code[sec].append((int(m.group(1), 16), m.group(2).strip(), []))
    return code


def section_bytes(ko, name):
    out = run("objdump", "-s", "-j", name, ko)
    data = bytearray()
    for line in out.splitlines():
        m = re.match(r"^ ([0-9a-f]+) ((?:[0-9a-f]{2,8} ?){1,4})", line)
        if m:
            data += bytes.fromhex(m.group(2).replace(" ", ""))
    return bytes(data)


def section_relocs(ko, name):
    """{offset: (section or symbol, addend)}"""
    out = run("objdump", "-r", "-j", name, ko)
    relocs = {}
    for line in out.splitlines():
        m = re.match(r"^([0-9a-f]+) (R_X86_64_\w+)\s+(\S+?)([+-]0x[0-9a-f]+)?$",
                     line)
        if m:
            relocs[int(m.group(1), 16)] = (m.group(3),
                                           int(m.group(4) or "0", 16))
    return relocs


def alternatives(ko):
    """[(site section, site offset, feature, repl offset, repl length)]"""
    data = section_bytes(ko, ".altinstructions")
    relocs = section_relocs(ko, ".altinstructions")
    # struct alt_instr: s32 instr_offset, s32 repl_offset, u16 feature,
    # then 6.1: u8 instrlen, u8 replacementlen (12 bytes); 6.3 and later
    # a u16 of flags before them (14 bytes).  The third relocation tells.
    offs = sorted(relocs)
    size = offs[2] if len(offs) > 2 else 14
    if size not in (12, 14):
        sys.exit("check-entry: %s: .altinstructions entries of %d bytes?"
                 % (ko, size))
    alts = []
    for i in range(0, len(data) - size + 1, size):
        site, repl = relocs.get(i), relocs.get(i + 4)
        if not site or not repl or repl[0] != ".altinstr_replacement":
            continue
        feature = struct.unpack_from("<H", data, i + 8)[0]
        replen = data[i + size - 1]
        # PC-relative fields: target = symbol + addend.
        alts.append((site[0], site[1], feature, repl[1], replen))
    return alts


def ends_window(text, targets):
    op = text.split()[0] if text else ""
    if op.startswith("ret") or op in ("iret", "iretq"):
        return True
    if op in ("jmp", "call") and "*" in text:
        return True
    for t in targets:
        if "__x86_return_thunk" in t or "indirect_thunk" in t:
            return True
    if op == "call":
        # A direct call of another function returns through a RET.
        return True
    return False


def symbols(ko):
    """{function: (section, offset, size)} from the symbol table"""
    funcs = {}
    for line in run("objdump", "-t", ko).splitlines():
        m = re.match(r"^([0-9a-f]+) .{6}F (\S+)\s+([0-9a-f]+) (\S+)$", line)
        if m:
            funcs[m.group(4)] = (m.group(2), int(m.group(1), 16),
                                 int(m.group(3), 16))
    return funcs


def check(ko, code, funcs, alts, func, entry_ops, want):
    if func not in funcs:
        return ["no function %s" % func]
    sec, start, size = funcs[func]
    insns = [i for i in code.get(sec, []) if start <= i[0] < start + size]
    entries = [off for off, text, _ in insns if text.split()[0] in entry_ops]
    if not entries:
        return ["%s: no %s" % (func, "/".join(entry_ops))]
    first, entry = entries[0], entries[-1]
    end = start + size
    for off, text, targets in insns:
        if off > entry and ends_window(text, targets):
            end = off
            break
    repl = {off: (text, targets) for off, text, targets in
            code.get(".altinstr_replacement", [])}

    def repl_insns(roff, rlen):
        return [repl[o] for o in sorted(repl) if roff <= o < roff + rlen]

    before = [a for a in alts if a[0] == sec and start <= a[1] < first]
    window = [a for a in alts if a[0] == sec and entry < a[1] < end]
    problems = []

    # VERW of x86_verw_sel before entry: in the text (6.1) or an
    # alternative's replacement (6.12).
    verw = any(text.startswith("verw") and
               any("x86_verw_sel" in t for t in targets)
               for off, text, targets in insns if off < first)
    verw = verw or any(text.startswith("verw") and
                       any("x86_verw_sel" in t for t in targets)
                       for a in before for text, targets in
                       repl_insns(a[3], a[4]))
    if not verw:
        problems.append("%s: no VERW x86_verw_sel before the entry" % func)

    fills = [a for a in window if a[2] in want["rsb"] and
             sum(t.startswith("call") for t, _ in repl_insns(a[3], a[4])) >= 2
             and any(t.startswith("lfence") for t, _ in repl_insns(a[3], a[4]))]
    if not fills:
        problems.append("%s: no RSB fill (features %s) before the first "
                        "RET/indirect branch after the exit" %
                        (func, want["rsb"]))
    for sym, feature in want["calls"]:
        ok = False
        for a in window:
            if feature is not None and a[2] != feature:
                continue
            for text, targets in repl_insns(a[3], a[4]):
                if text.startswith("call") and \
                        any(re.match(re.escape(sym) + r"\b", t)
                            for t in targets):
                    ok = True
        if not ok:
            problems.append("%s: no call of %s%s before the first "
                            "RET/indirect branch after the exit" %
                            (func, sym, "" if feature is None else
                             " on feature %d" % feature))
    if want.get("wrmsr") and not any(
            off > entry and off < end and text.startswith("wrmsr")
            for off, text, _ in insns):
        problems.append("%s: no WRMSR (legacy IBRS) before the first "
                        "RET/indirect branch after the exit" % func)
    return problems


failed = False
for ko in sys.argv[1:]:
    code = disasm(ko)
    funcs = symbols(ko)
    alts = alternatives(ko)
    checks = {
        "svm": ("__svm_vcpu_run", ("vmrun",), {
            "rsb": (X86_FEATURE_RETPOLINE, X86_FEATURE_RSB_VMEXIT),
            "calls": (("entry_untrain_ret", None),
                      ("srso_alias_untrain_ret", None),
                      ("entry_ibpb", X86_FEATURE_IBPB_ON_VMEXIT)),
        }),
        "vmx": ("__vmx_vcpu_run", ("vmresume",), {
            "rsb": (X86_FEATURE_RSB_VMEXIT,),
            "calls": (("clear_bhb_loop", None),),
            "wrmsr": True,
        }),
    }
    for name, (func, ops, want) in checks.items():
        problems = check(ko, code, funcs, alts, func, ops, want)
        if problems:
            failed = True
            for p in problems:
                print("RESULT FAIL entry/%s %s: %s" % (name, ko, p))
        else:
            print("RESULT PASS entry/%s %s" % (name, ko))
sys.exit(1 if failed else 0)
EOF
