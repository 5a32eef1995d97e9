#!/usr/bin/env python3
"""The library's layers, checked: every file of lib/src and lib/include/usbpo
sits in a layer folder, and includes only its own layer and the layers it may
use (a lower layer never includes a higher one)."""
import os
import re
import sys

# Which layers each layer may include (its own included).
ALLOWED = {
    'base': {'base'},
    'io': {'base', 'io'},
    'nn': {'base', 'nn'},
    'runtime': {'base', 'nn', 'runtime'},
    'agent': {'base', 'nn', 'agent'},
    'model': {'base', 'nn', 'agent', 'model'},
    'train': {'base', 'io', 'nn', 'runtime', 'agent', 'model', 'train'},
}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]', re.M)


def layer_of_include(path):
    parts = path.split('/')
    if parts[0] == 'usbpo' and len(parts) > 2 and parts[1] in ALLOWED:
        return parts[1]
    if parts[0] in ALLOWED and len(parts) > 1:  # a private header of lib/src
        return parts[0]
    return None


def main():
    lib = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'lib')
    problems, files = [], 0
    for top in (os.path.join(lib, 'src'), os.path.join(lib, 'include', 'usbpo')):
        for dirpath, _, names in os.walk(top):
            rel = os.path.relpath(dirpath, top)
            layer = rel.split(os.sep)[0]
            for name in names:
                path = os.path.join(dirpath, name)
                if rel == '.':
                    problems.append(f'{path}: outside a layer folder ({", ".join(sorted(ALLOWED))})')
                    continue
                if layer not in ALLOWED:
                    problems.append(f'{path}: {layer}/ is not a layer')
                    continue
                files += 1
                with open(path, encoding='utf-8') as f:
                    text = f.read()
                for included in INCLUDE.findall(text):
                    other = layer_of_include(included)
                    if other and other not in ALLOWED[layer]:
                        problems.append(f'{path}: the {layer} layer includes {included} (layer {other})')
    for p in problems:
        print('FAIL:', p)
    if files == 0:
        print('FAIL: no files found under', lib)
        return 1
    print(f'{files} files in {len(ALLOWED)} layers; {len(problems)} problems')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
