"""schemas/replay-spec.schema.json and the loader do not drift apart: every spec in
specs/ validates against the schema (python3-jsonschema, Draft 2020-12) and passes
`replay check`; schema-level mistakes are rejected by both (exit status 2); good
variants are accepted by both."""
import glob
import json
import os
import re

import jsonschema
import yaml

from lib import ROOT, SPECS, check, check_eq, cleanup, finish, fresh_tmpdir, run, write_spec

SCHEMA_PATH = os.path.join(ROOT, "schemas", "replay-spec.schema.json")
MODELINE = "# yaml-language-server: $schema=../schemas/replay-spec.schema.json"

with open(SCHEMA_PATH) as f:
    SCHEMA = json.load(f)
jsonschema.Draft202012Validator.check_schema(SCHEMA)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


class SpecLoader(yaml.SafeLoader):
    """PyYAML, read the way replay reads keys: a key is its text (PyYAML would turn the
    `null` builder key into None), and no timestamps (a date stays a string)."""


SpecLoader.yaml_implicit_resolvers = {
    c: [(tag, rx) for tag, rx in rs if tag != "tag:yaml.org,2002:timestamp"]
    for c, rs in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _mapping(loader, node):
    return {k.value if isinstance(k, yaml.ScalarNode) else loader.construct_object(k, deep=True):
            loader.construct_object(v, deep=True) for k, v in node.value}


SpecLoader.add_constructor("tag:yaml.org,2002:map", _mapping)


def schema_errors(text):
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in VALIDATOR.iter_errors(yaml.load(text, Loader=SpecLoader))]


def replay_check(path):
    return run(["check", path])


# The schema itself: closed objects, and a description on every property (editor hover docs).
def walk(node, where, conditional=False):
    if isinstance(node, dict):
        if node.get("type") == "object":
            check_eq(node.get("additionalProperties"), False, f"{where}: additionalProperties")
        if not conditional:  # if/then only narrow properties described elsewhere
            for name, prop in node.get("properties", {}).items():
                check("description" in prop, f"{where}/properties/{name} has a description")
        for k, v in node.items():
            walk(v, f"{where}/{k}", conditional or k in ("if", "then"))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, f"{where}/{i}", conditional)


walk(SCHEMA, "#")


# The keys: each libcyaml field list in src/load/schema.c has the same keys, and the same
# required ones, as the schema object it corresponds to.
def loader_fields():
    with open(os.path.join(ROOT, "src", "load", "schema.c")) as f:
        src = f.read()
    tables = {}
    # value_fields is keyed by RP_KEY_* ([index] = ...); its BUILDER macros are optional.
    for name, body in re.findall(r"static const cyaml_schema_field_t (\w+)\[[^\]]*\] = \{(.*?)\n\};", src, re.S):
        keys, required = set(), set()
        for macro, key, rest in re.findall(r"\b(REQ_STR|STR|BUILDER|BUILDER_MAPPING|CYAML_FIELD_\w+)"
                                           r"\(\s*\"([^\"]+)\",(.*?)\)(?=,\s*\n)", body, re.S):
            keys.add(key)
            optional = macro in ("STR", "BUILDER", "BUILDER_MAPPING")
            if macro == "REQ_STR" or (not optional and not re.search(r"\bOPT\b|CYAML_FLAG_OPTIONAL", rest)):
                required.add(key)
        tables[name] = (keys, required)
    return tables


def resolve(node):
    while "$ref" in node and "properties" not in node:
        node = SCHEMA["$defs"][node["$ref"].split("/")[-1]]
    return node


DEFS, STEP = SCHEMA["$defs"], SCHEMA["$defs"]["step"]["properties"]
OBJECTS = {
    "spec_fields": SCHEMA,
    "sandbox_fields": SCHEMA["properties"]["sandbox"],
    "override_fields": SCHEMA["properties"]["syscalls"]["items"],
    "step_fields": DEFS["step"],
    "arch_number_fields": STEP["nr"],
    "when_fields": STEP["when"],
    "expect_fields": STEP["expect"],
    "value_fields": DEFS["field"],
    "struct_fields": DEFS["builder_struct"],
    "buffer_fields": DEFS["builder_buffer"],
    "bytes_fields": DEFS["builder_bytes"],
    "load_fields": DEFS["builder_load"],
    "array_fields": DEFS["builder_array"],
    "chars_fields": DEFS["builder_chars"],
    "process_fields": STEP["process"],
    "loop_fields": STEP["loop"],
    "threads_fields": STEP["threads"],
    "needs_fields": DEFS["needs"],
    "sysctl_fields": DEFS["needs"]["properties"]["sysctl"]["items"],
    "file_fields": DEFS["file"],
}
tables = loader_fields()
check_eq(sorted(tables), sorted(OBJECTS), "libcyaml field lists in src/load/schema.c")
for table, obj in OBJECTS.items():
    keys, required = tables.get(table, (set(), set()))
    obj = resolve(obj)
    check_eq(sorted(obj["properties"]), sorted(keys), f"{table}: keys")
    check_eq(sorted(obj.get("required", [])), sorted(required), f"{table}: required keys")
value_keys = tables.get("value_fields", (set(), set()))[0]
check_eq(sorted(DEFS["argument"]["properties"]), sorted(value_keys - {"type"}),
         "an argument takes every value key but type")

# (a) Every spec in specs/: schema-valid, modeline first, and `replay check` accepts it.
specs = sorted(glob.glob(os.path.join(SPECS, "*.yaml")) + glob.glob(os.path.join(SPECS, "*.yml")))
check(len(specs) >= 1, "specs/ has specs")
for spec in specs:
    name = os.path.basename(spec)
    with open(spec) as f:
        text = f.read()
    check_eq(text.splitlines()[0], MODELINE, f"{name}: first line points editors at the schema")
    check_eq(schema_errors(text), [], f"{name}: schema errors")
    p = replay_check(spec)
    check_eq(p.returncode, 0, f"{name}: replay check exit status ({p.stderr.strip()})")


def steps(*lines):
    return "name: t\nsteps:\n" + "".join(f"  - {line}\n" for line in lines)


def args(*a):
    return steps("{call: write, args: [" + ", ".join(a) + "]}")


def field(f):
    return args("{int: 1}", "{struct: {name: s, fields: [" + f + "]}}", "{sizeof: s}")


# An earlier step that fills an 8-byte buffer fds, then a step that uses one argument a.
PIPE = "{id: p, call: pipe2, args: [{buffer: {name: fds, size: 8}}, {flags: [O_CLOEXEC]}]}"


def load(a):
    return steps(PIPE, "{call: close, args: [" + a + "]}")


def load_field(f):
    return steps(PIPE, "{call: write, args: [{int: 1}, {struct: {name: s, fields: [" + f + "]}}, {sizeof: s}]}")


# (b) Schema-level mistakes: the schema rejects each, and so does `replay check` (exit 2).
BAD = [
    ("array without items", args("{array: {name: a}}")),
    ("chars without size", args("{chars: {text: a}}")),
    ("chars with both text and path", args("{chars: {size: 8, text: a, path: b}}")),
    ("type: on an embedded array", args("{struct: {fields: [{type: u64, array: {items: [{u8: 1}]}}]}}")),
    ("unknown top-level key", "name: t\nauthor: me\nsteps:\n  - call: getpid\n"),
    ("unknown step key", steps("{call: getpid, timeout: 5}")),
    ("missing call", steps("{id: a}")),
    ("missing name", "steps:\n  - call: getpid\n"),
    ("missing steps", "name: t\n"),
    ("empty steps", "name: t\nsteps: []\n"),
    ("steps as a scalar", "name: t\nsteps: getpid\n"),
    ("step as a scalar", steps("getpid")),
    ("args as a mapping", steps("{call: getpid, args: {int: 1}}")),
    ("argument as a scalar", steps("{call: getpid, args: [3]}")),
    ("7 args", steps("{call: getpid, args: [{int: 1}, {int: 2}, {int: 3}, {int: 4}, {int: 5}, "
                     "{int: 6}, {int: 7}]}")),
    ("builder mapping with no key", args("{}")),
    ("builder mapping with two builder keys", args("{int: 0, const: AT_FDCWD}")),
    ("unknown builder key", args("{pointer: 5}")),
    ("type in an argument", args("{int: 5, type: u32}")),
    ("u9 in an argument", args("{u9: 5}")),
    ("flags not a list", args("{flags: O_RDONLY}")),
    ("flags an empty list", args("{flags: []}")),
    ("flags term with an empty term", args('{flags: ["O_RDONLY||O_CLOEXEC"]}')),
    ("const given a number", args("{const: 5}")),
    ("const given an expression", args('{const: "O_RDONLY|O_CLOEXEC"}')),
    ("int with trailing junk", args("{int: 430abc}")),
    ("int 09 (not octal)", args("{int: 09}")),
    ("int 0x with no digits", args("{int: 0x}")),
    ("int a float", args("{int: 1.5}")),
    ("int above 64 bits", args("{int: 18446744073709551616}")),
    ("null given a list", args("{null: [1]}")),
    ("path absolute", args("{path: /etc/passwd}")),
    ("path through ..", args("{path: a/../../x}")),
    ("path empty", args('{path: ""}')),
    ("buffer without size", args("{buffer: {name: b}}")),
    ("buffer size not a number", args("{buffer: {size: 64k}}")),
    ("buffer size negative", args("{buffer: {size: -1}}")),
    ("buffer fill above 255", args("{buffer: {size: 8, fill: 256}}")),
    ("bytes without hex", args("{bytes: {name: b}}")),
    ("bytes hex with an odd digit", args("{bytes: {hex: abc}}")),
    ("bytes hex not hex", args('{bytes: {hex: "00 zz"}}')),
    ("struct without fields", args("{struct: {name: s}}")),
    ("struct fields a mapping", args("{struct: {fields: {u32: 1}}}")),
    ("struct field with no width", field("{int: 5}")),
    ("struct field width key with type", field("{u32: 1, type: u32}")),
    ("struct field unknown type", field("{int: 1, type: int32}")),
    ("struct field pointer type u32", field("{cstring: hi, type: u32}")),
    ("struct field scalar builder type ptr", field("{int: 1, type: ptr}")),
    ("struct field two builder keys", field("{u32: 1, u64: 2}")),
    ("struct field type only", field("{type: u32}")),
    ("struct field u8 256", field("{u8: 256}")),
    ("struct field i8 -129", field("{i8: -129}")),
    ("struct field u16 70000", field("{u16: 70000}")),
    ("tempfile without name", args("{tempfile: {content: x}}")),
    ("tempfile unknown key", args("{tempfile: {name: t, contents: x}}")),
    ("tempfile mode not octal", args('{tempfile: {name: t, mode: "0999"}}')),
    ("tempfile mode not a number", args("{tempfile: {name: t, mode: rw}}")),
    ("when with ok and failed", steps("{id: a, call: getpid}", "{call: getpid, when: {ok: a, failed: a}}")),
    ("when empty", steps("{id: a, call: getpid}", "{call: getpid, when: {}}")),
    ("when unknown key", steps("{id: a, call: getpid}", "{call: getpid, when: {success: a}}")),
    ("expect unknown key", steps("{call: getpid, expect: {output: 1}}")),
    ("expect empty", steps("{call: getpid, expect: {}}")),
    ("expect errno a scalar", steps("{call: getpid, expect: {errno: ENOENT}}")),
    ("expect errno an empty list", steps("{call: getpid, expect: {errno: []}}")),
    ("expect errno not an errno name", steps("{call: getpid, expect: {errno: [O_RDONLY]}}")),
    ("expect ret not a number", steps("{call: getpid, expect: {ret: ok}}")),
    ("nr unknown arch key", steps("{call: getpid, nr: {amd64: 39}}")),
    ("nr empty", steps("{call: getpid, nr: {}}")),
    ("nr out of range", steps("{call: getpid, nr: {x86_64: 70000, aarch64: 70000}}")),
    ("nr negative", steps("{call: getpid, nr: {x86_64: -1, aarch64: -1}}")),
    ("call a list", steps("{call: [getpid]}")),
    ("sandbox file without name", "name: t\nsandbox:\n  files: [{content: x}]\nsteps:\n  - call: getpid\n"),
    ("sandbox unknown key", "name: t\nsandbox:\n  links: [a]\nsteps:\n  - call: getpid\n"),
    ("sandbox dirs a scalar", "name: t\nsandbox:\n  dirs: mnt\nsteps:\n  - call: getpid\n"),
    ("sandbox dir through ..", "name: t\nsandbox:\n  dirs: [../x]\nsteps:\n  - call: getpid\n"),
    ("sandbox file absolute", "name: t\nsandbox:\n  files: [{name: /tmp/f}]\nsteps:\n  - call: getpid\n"),
    ("sandbox file empty component", "name: t\nsandbox:\n  files: [{name: a//b}]\nsteps:\n  - call: getpid\n"),
    ("syscalls entry without name", "name: t\nsyscalls:\n  - {x86_64: 470}\nsteps:\n  - call: getpid\n"),
    ("syscalls entry without a number", "name: t\nsyscalls:\n  - {name: listns}\nsteps:\n  - call: getpid\n"),
    ("syscalls number junk", "name: t\nsyscalls:\n  - {name: listns, x86_64: 470a, aarch64: 470}\n"
     "steps:\n  - call: listns\n"),
    ("top level a list", "- call: getpid\n"),
    ("load a scalar", load("{load: fds}")),
    ("load without type", load("{load: {from: fds}}")),
    ("load without from", load("{load: {type: i32}}")),
    ("load type int", load("{load: {from: fds, type: int}}")),
    ("load type ptr", load("{load: {from: fds, type: ptr}}")),
    ("load type I32 (case matters)", load("{load: {from: fds, type: I32}}")),
    ("load unknown key", load("{load: {from: fds, type: i32, size: 4}}")),
    ("load offset negative", load("{load: {from: fds, offset: -4, type: i32}}")),
    ("load offset junk", load("{load: {from: fds, offset: 4x, type: i32}}")),
    ("load with a second builder key", load("{load: {from: fds, type: i32}, int: 3}")),
    ("load with type: in an argument", load("{load: {from: fds, type: i32}, type: u32}")),
    ("load field without type:", load_field("{load: {from: fds, offset: 4, type: i32}}")),
    ("load field with type: ptr", load_field("{load: {from: fds, type: i32}, type: ptr}")),
    ("repeat 0", steps("{call: getpid, repeat: 0}")),
    ('repeat "0x0"', steps('{call: getpid, repeat: "0x0"}')),
    ("repeat -1", steps("{call: getpid, repeat: -1}")),
    ("repeat above 32 bits", steps("{call: getpid, repeat: 4294967296}")),
    ("repeat not a number", steps("{call: getpid, repeat: lots}")),
    ("repeat a float", steps("{call: getpid, repeat: 1.5}")),
    ("repeat a list", steps("{call: getpid, repeat: [2]}")),
    ("pid not self", args("{pid: 1}")),
    ("tid field without type:", field("{tid: self}")),
    ("pid field with type: ptr", field("{pid: self, type: ptr}")),
    ("call and process", steps("{call: getpid, process: {steps: [{call: getpid}]}}")),
    ("process and loop", steps("{process: {steps: [{call: getpid}]}, loop: {repeat: 2, steps: [{call: getpid}]}}")),
    ("process with args", steps("{process: {steps: [{call: getpid}]}, args: [{int: 1}]}")),
    ("loop with expect", steps("{loop: {repeat: 2, steps: [{call: getpid}]}, expect: {ret: 0}}")),
    ("loop with repeat beside it", steps("{loop: {repeat: 2, steps: [{call: getpid}]}, repeat: 2}")),
    ("process without steps", steps("{process: {}}")),
    ("process with no steps", steps("{process: {steps: []}}")),
    ("process unknown key", steps("{process: {steps: [{call: getpid}], repeat: 2}}")),
    ("loop with neither repeat nor duration", steps("{loop: {steps: [{call: getpid}]}}")),
    ("loop repeat 0", steps("{loop: {repeat: 0, steps: [{call: getpid}]}}")),
    ("loop duration 0", steps("{loop: {duration: 0, steps: [{call: getpid}]}}")),
    ("loop duration with a unit", steps("{loop: {duration: 1s, steps: [{call: getpid}]}}")),
    ("loop pause negative", steps("{loop: {repeat: 2, pause: -1, steps: [{call: getpid}]}}")),
    ("bad step inside a group", steps("{loop: {repeat: 2, steps: [{call: getpid, timeout: 5}]}}")),
]

# (b2) Mistakes only the compiler sees (names, sizes, step order, the call): the schema
# accepts them, `replay check` rejects each with this message.
LATER = [
    ("load from an unknown object", load("{load: {from: fsd, type: i32}}"),
     "load names no object 'fsd'; did you mean 'fds'?"),
    ("load past the end", load("{load: {from: fds, offset: 6, type: i32}}"),
     "i32 at offset 6 is past the end of 'fds' (8 bytes)"),
    ("load u64 from a 4-byte buffer", steps("{call: pipe2, args: [{buffer: {name: b4, size: 4}}, {int: 0}]}",
                                            "{call: close, args: [{load: {from: b4, type: u64}}]}"),
     "u64 at offset 0 is past the end of 'b4' (4 bytes)"),
    ("load before any step passes the object",
     steps("{call: close, args: [{load: {from: fds, type: i32}}]}", PIPE),
     "no earlier step passes 'fds' to the kernel: load reads what a previous step's call wrote"),
    ("load from an object only sizeof names",
     steps("{call: close, args: [{sizeof: fds}]}", "{call: close, args: [{load: {from: fds, type: i32}}]}",
           PIPE),
     "no earlier step passes 'fds' to the kernel"),
    ("repeat fork", steps("{call: fork, repeat: 2}"),
     "fork cannot be repeated: every call would leave a process behind"),
    ("repeat clone3", steps("{call: clone3, repeat: 5}"),
     "clone3 cannot be repeated: every call would leave a process behind"),
]

# (c) Good variants: accepted by both.
GOOD = [
    ("array of inline structs (iovec)", args("{int: 0}", "{array: {name: iov, items: [{struct: {fields: [{cstring: ab}, {u64: 2}]}}, {struct: {fields: [{buffer: {size: 4}}, {u64: 4}]}}]}}", "{sizeof: iov}")),
    ("chars with text and path in a struct", args("{int: 0}", "{struct: {name: sa, fields: [{u16: 1}, {chars: {size: 108, path: sock}}]}}", "{chars: {size: 8, text: abc}}")),
    ("numbers as YAML ints", args("{int: 1}", "{int: -1}", "{int: 0x10}", "{int: 017}", "{int: 0b101}")),
    ("numbers as strings", args('{int: "1"}', '{int: "-1"}', '{int: "0x10"}', '{int: "0o17"}',
                                '{int: "+5"}', '{int: "-0x10"}')),
    ("int at the 64-bit limits", args("{int: -9223372036854775808}", "{int: 18446744073709551615}")),
    ("flags: numbers, names, A|B", args("{int: 1}", '{flags: [O_RDONLY, "O_DIRECTORY | O_CLOEXEC", 0x10, "0o4"]}')),
    ("width keys in arguments", args("{u32: 1}", '{u64: "S_IRUSR|S_IWUSR"}', "{i8: -100}")),
    ("buffer size as int and string", args("{int: 1}", "{buffer: {name: a, size: 64, fill: 0xff}}",
                                           '{buffer: {size: "0x40", fill: "255"}}')),
    ("nested struct pointer field", args(
        "{int: 1}",
        "{struct: {name: outer, fields: [{u8: 1}, {u32: \"S_IRUSR|S_IWUSR\"}, "
        "{struct: {name: inner, fields: [{u16: 0xffff}, {i16: -1}]}}, {cstring: hi, type: ptr}, "
        "{null: ~, type: u64}, {int: 300, type: u16}, {sizeof: inner, type: u64}, {i8: -128}]}}",
        "{sizeof: outer}")),
    ("struct with no fields", args("{int: 1}", "{struct: {name: e, fields: []}}", "{sizeof: e}")),
    ("fd and ret fields", steps("{id: dir, call: openat, args: [{const: AT_FDCWD}, {path: .}, "
                                "{flags: [O_RDONLY]}]}",
                                "{call: write, args: [{int: 1}, {struct: {fields: [{fd: dir, type: i32}, "
                                "{ret: dir, type: u64}, {const: AT_FDCWD, type: i32}, "
                                "{flags: [O_RDONLY], type: u32}]}}]}")),
    ("tempfile", args("{const: AT_FDCWD}", '{tempfile: {name: in/t.bin, content: "abc", mode: "0644"}}')),
    ("tempfile mode as YAML int", args("{const: AT_FDCWD}", "{tempfile: {name: t, mode: 0600}}")),
    ("bytes, ref and sizeof", steps(
        '{call: write, args: [{int: 1}, {bytes: {name: crlf, hex: "0d 0a"}}, {sizeof: crlf}]}',
        "{call: write, args: [{int: 1}, {ref: crlf}, {int: 2}]}",
        '{call: write, args: [{int: 1}, {bytes: {hex: "de:ad:be:ef"}}, {int: 4}]}',
        "{call: write, args: [{int: 1}, {bytes: {hex: 1234}}, {int: 2}]}")),
    ("ref to a buffer", steps("{call: getcwd, args: [{buffer: {name: cwd, size: 256}}, {sizeof: cwd}]}",
                              "{call: write, args: [{int: 1}, {ref: cwd}, {int: 0}]}")),
    ("per-step nr", steps("{call: getpid, nr: {x86_64: 39, aarch64: 172}}",
                          '{call: my_getpid, nr: {x86_64: "39", aarch64: "0xac"}}',
                          "{call: my_only_x86, nr: {x86_64: 39}}")),
    ("syscalls overrides", "name: t\nsyscalls:\n  - {name: listns, x86_64: 470, aarch64: 470}\n"
     "  - {name: my_call, x86_64: \"0x1ff\"}\nsteps:\n  - call: listns\n  - call: my_call\n"),
    ("sandbox, when, expect, comment", "name: t\ndescription: d\nsandbox:\n  dirs: [mnt, a/b]\n"
     "  files:\n    - {name: swapfile, content: swap, mode: \"0600\"}\n    - {name: etc/empty}\n"
     "steps:\n  - id: probe\n    call: openat\n    comment:\n"
     "    args: [{const: AT_FDCWD}, {path: missing}, {flags: [O_RDONLY]}]\n"
     "    expect: {errno: [ENOENT, EACCES]}\n"
     "  - {call: close, when: {ok: probe}, args: [{fd: probe}], expect: {ret: 0}}\n"
     "  - {call: getpid, when: {failed: probe}, expect: {ret: \"0x0\", errno: [EPERM]}}\n"),
    ("scalars of any YAML type as text", args("{int: 1}", "{cstring: 123}", "{null: ~}", "{null: 0}")),
    ("load: pipe2's write end", steps(PIPE, "{call: write, args: [{load: {from: fds, offset: 4, type: i32}}, "
                                            "{cstring: hello}, {int: 5}], expect: {ret: 5}}")),
    ("load: offset default and in any number syntax", steps(
        PIPE, "{call: close, args: [{load: {from: fds, type: i32}}]}",
        '{call: close, args: [{load: {from: fds, offset: "0x4", type: u32}}]}',
        "{call: lseek, args: [{int: 99}, {load: {from: fds, offset: 0, type: i64}}, {int: 0}]}")),
    ("load: every type", steps(PIPE, "{call: lseek, args: [" + ", ".join(
        "{load: {from: fds, offset: %d, type: %s}}" % (o, t)
        for o, t in ((0, "u8"), (2, "i16"), (4, "u32"))) + "]}",
        "{call: lseek, args: [" + ", ".join(
        "{load: {from: fds, offset: %d, type: %s}}" % (o, t)
        for o, t in ((7, "i8"), (6, "u16"), (4, "i32"))) + "]}",
        "{call: lseek, args: [{load: {from: fds, type: u64}}, {load: {from: fds, type: i64}}]}")),
    ("load in struct fields with type:", load_field(
        "{load: {from: fds, offset: 4, type: i32}, type: i32}, {load: {from: fds, type: u8}, type: u64}")),
    ("load from a ref, a struct and bytes", steps(
        PIPE, "{call: read, args: [{int: 0}, {ref: fds}, {int: 0}]}",
        "{call: close, args: [{load: {from: fds, offset: 4, type: i32}}]}",
        "{call: write, args: [{int: 1}, {struct: {name: st, fields: [{u32: 7}, {u64: 9}]}}, {int: 0}]}",
        '{call: write, args: [{int: 1}, {bytes: {name: by, hex: "ff fe"}}, {int: 0}]}',
        "{call: lseek, args: [{load: {from: st, offset: 8, type: u64}}, {load: {from: by, type: i8}}]}")),
    ("load from a buffer nested in a struct", steps(
        "{call: write, args: [{int: 1}, {struct: {name: outer, fields: [{buffer: {name: inner, size: 4}}]}}, "
        "{int: 0}]}",
        "{call: close, args: [{load: {from: inner, type: u32}}]}")),
    ("repeat: 1, the 32-bit limit, any number syntax", steps(
        "{call: getpid, repeat: 1}", "{call: getpid, repeat: 4294967295}", '{call: getpid, repeat: "0x10"}',
        '{call: getpid, repeat: "017"}', '{call: getpid, repeat: "+5"}')),
    ("repeat with expect and when", steps(
        "{id: pid, call: getppid, repeat: 1000}",
        "{call: close, args: [{int: -1}], repeat: 100, when: {ok: pid}, expect: {errno: [EBADF]}}")),
    ("fork with repeat: 1", steps("{call: fork, repeat: 1}")),
    ("pid and tid", steps("{call: kill, args: [{pid: self}, {int: 0}]}",
                          "{call: write, args: [{int: 1}, {struct: {name: ids, fields: [{pid: self, type: i32}, "
                          "{tid: self, type: u64}]}}, {sizeof: ids}]}")),
    ("process, wait4 for its pid", steps(
        "{id: child, comment: c, process: {steps: [{call: getpid}, {call: exit_group, args: [{int: 3}]}]}}",
        "{call: wait4, args: [{ret: child}, {null: ~}, {int: 0}, {null: ~}]}")),
    ("loops: repeat, duration, pause, nested", steps(
        "{id: a, loop: {repeat: 3, steps: [{call: getpid}]}}",
        "{loop: {duration: 0.01, pause: 0.001, steps: [{call: getpid}]}}",
        '{loop: {repeat: "0x10", duration: 1, pause: 0, steps: [{process: {steps: '
        "[{loop: {repeat: 2, steps: [{call: getpid, repeat: 5}]}}]}}]}, when: {ok: a}}")),
]

tmp = fresh_tmpdir()
check(len(BAD) >= 15, "at least 15 bad cases")
for n, (what, text) in enumerate(BAD):
    check(schema_errors(text) != [], f"schema rejects: {what}")
    spec = write_spec(tmp, f"bad{n}.yaml", MODELINE + "\n" + text)
    p = replay_check(spec)
    check_eq(p.returncode, 2, f"replay check rejects: {what}")
    check(": error: " in p.stderr and "cannot open" not in p.stderr,
          f"replay check reports a spec error for: {what} ({p.stderr.strip()})")

for n, (what, text, message) in enumerate(LATER):
    check_eq(schema_errors(text), [], f"schema leaves to replay check: {what}")
    spec = write_spec(tmp, f"later{n}.yaml", MODELINE + "\n" + text)
    p = replay_check(spec)
    check_eq(p.returncode, 2, f"replay check rejects: {what}")
    check(f": error: {message}" in p.stderr, f"replay check says '{message}' for: {what} ({p.stderr.strip()})")

for n, (what, text) in enumerate(GOOD):
    check_eq(schema_errors(text), [], f"schema accepts: {what}")
    spec = write_spec(tmp, f"good{n}.yaml", MODELINE + "\n" + text)
    p = replay_check(spec)
    check_eq(p.returncode, 0, f"replay check accepts: {what} ({p.stderr.strip()})")

cleanup(tmp)
check(not os.path.exists(tmp), "temp dir removed")
finish()
