<?php
// Checks that the IDE stub (php-ext/stubs/emongroups.stub.php) declares exactly what the loaded
// extension exports: the same functions and classes, and for each class its parent, interfaces,
// constants, properties and methods, with parameter names, types, nullability and optionality
// and return types. Both sides are described by Reflection: the extension in this process, the
// stub in a child process started without the extension (the names would clash otherwise).
//
//   php -n -d extension=target/release/libemongroups_php.so host-tests/php/stub.php [stub-file]

declare(strict_types=1);

const NS = 'EmonGroups\\';

/** Everything Reflection says about a function or method that a caller depends on. */
function describe_callable(\ReflectionFunctionAbstract $f): array
{
    $out = [
        'returns' => $f->hasReturnType() ? (string) $f->getReturnType() : null,
        'by_ref_return' => $f->returnsReference(),
        'params' => [],
    ];
    if ($f instanceof \ReflectionMethod) {
        $out['visibility'] = $f->isPublic() ? 'public' : ($f->isProtected() ? 'protected' : 'private');
        $out['static'] = $f->isStatic();
        $out['final'] = $f->isFinal();
        $out['abstract'] = $f->isAbstract();
    }
    foreach ($f->getParameters() as $p) {
        $out['params'][] = [
            'name' => $p->getName(),
            'type' => $p->hasType() ? (string) $p->getType() : null,
            'nullable' => $p->allowsNull(),
            'optional' => $p->isOptional(),
            'variadic' => $p->isVariadic(),
            'by_ref' => $p->isPassedByReference(),
        ];
    }
    return $out;
}

function describe_class(\ReflectionClass $c): array
{
    $name = $c->getName();
    $out = [
        'kind' => $c->isInterface() ? 'interface' : ($c->isTrait() ? 'trait' : ($c->isEnum() ? 'enum' : 'class')),
        'parent' => $c->getParentClass() ? $c->getParentClass()->getName() : null,
        'interfaces' => $c->getInterfaceNames(),
        'final' => $c->isFinal(),
        'abstract' => $c->isAbstract(),
        'constants' => [],
        'properties' => [],
        'methods' => [],
    ];
    sort($out['interfaces']);
    foreach ($c->getReflectionConstants() as $k) {
        if ($k->getDeclaringClass()->getName() === $name) {
            $out['constants'][$k->getName()] = $k->getValue();
        }
    }
    foreach ($c->getProperties() as $p) {
        if ($p->getDeclaringClass()->getName() === $name) {
            $out['properties'][$p->getName()] = [
                'visibility' => $p->isPublic() ? 'public' : ($p->isProtected() ? 'protected' : 'private'),
                'static' => $p->isStatic(),
                'readonly' => $p->isReadOnly(),
                'type' => $p->hasType() ? (string) $p->getType() : null,
                'default' => $p->hasDefaultValue() ? $p->getDefaultValue() : null,
            ];
        }
    }
    foreach ($c->getMethods() as $m) {
        if ($m->getDeclaringClass()->getName() === $name) {
            $out['methods'][$m->getName()] = describe_callable($m);
        }
    }
    ksort($out['constants']);
    ksort($out['properties']);
    ksort($out['methods']);
    return $out;
}

/** @param string[] $classes @param string[] $functions */
function describe(array $classes, array $functions): array
{
    $out = ['classes' => [], 'functions' => []];
    foreach ($classes as $class) {
        $c = new \ReflectionClass($class);
        $out['classes'][$c->getName()] = describe_class($c);
    }
    foreach ($functions as $function) {
        $f = new \ReflectionFunction($function);
        $out['functions'][$f->getName()] = describe_callable($f);
    }
    ksort($out['classes']);
    ksort($out['functions']);
    return $out;
}

// Child mode: load the stub and describe what it declared under the namespace.
if (($argv[1] ?? '') === '--describe-stub') {
    $before_classes = get_declared_classes();
    $before_functions = get_defined_functions()['user'];
    require $argv[2];
    $classes = array_filter(
        array_diff(get_declared_classes(), $before_classes),
        fn ($c) => str_starts_with($c, NS)
    );
    $functions = array_diff(get_defined_functions()['user'], $before_functions);
    echo json_encode(describe($classes, $functions), JSON_THROW_ON_ERROR);
    exit(0);
}

require __DIR__ . '/harness.php';

$stub = $argv[1] ?? dirname(__DIR__, 2) . '/php-ext/stubs/emongroups.stub.php';

test('the extension is loaded', function () {
    check(extension_loaded('emongroups'), 'load it with -d extension=…/libemongroups_php.so');
});
if (!extension_loaded('emongroups')) {
    finish('stub/php');
}

$extension = new \ReflectionExtension('emongroups');
$actual = describe(
    array_map(fn ($c) => $c->getName(), array_values($extension->getClasses())),
    array_map(fn ($f) => $f->getName(), array_values($extension->getFunctions()))
);

// The child runs with no ini file and no extension, so the stub's declarations are the only ones.
$command = escapeshellarg(PHP_BINARY) . ' -n ' . escapeshellarg(__FILE__) . ' --describe-stub ' . escapeshellarg($stub) . ' 2>&1';
$output = shell_exec($command);
$declared = json_decode((string) $output, true);

test('the stub loads on its own', function () use ($declared, $output) {
    check(is_array($declared), 'describing the stub failed: ' . trim((string) $output));
});
if (!is_array($declared)) {
    finish('stub/php');
}

test('the extension exports something to compare', function () use ($actual) {
    check(count($actual['classes']) >= 5 && count($actual['functions']) >= 1, 'no classes or functions found');
});

/** Prints where two descriptions differ, as `path: stub … / extension …` lines. */
function differences(mixed $stub, mixed $ext, string $at = ''): array
{
    if (is_array($stub) && is_array($ext)) {
        $found = [];
        foreach (array_unique(array_merge(array_keys($stub), array_keys($ext))) as $key) {
            $path = $at === '' ? (string) $key : "{$at}.{$key}";
            if (!array_key_exists($key, $stub)) {
                $found[] = "{$path}: only in the extension";
            } elseif (!array_key_exists($key, $ext)) {
                $found[] = "{$path}: only in the stub";
            } else {
                array_push($found, ...differences($stub[$key], $ext[$key], $path));
            }
        }
        return $found;
    }
    return $stub === $ext ? [] : ["{$at}: stub " . json_encode($stub) . ', extension ' . json_encode($ext)];
}

foreach (['classes', 'functions'] as $kind) {
    $names = array_unique(array_merge(array_keys($declared[$kind]), array_keys($actual[$kind])));
    sort($names);
    foreach ($names as $name) {
        test("{$kind} {$name} matches the stub", function () use ($declared, $actual, $kind, $name) {
            $diff = differences($declared[$kind][$name] ?? null, $actual[$kind][$name] ?? null, $name);
            if (!isset($declared[$kind][$name])) {
                $diff = ["{$name}: exported by the extension, missing from the stub"];
            } elseif (!isset($actual[$kind][$name])) {
                $diff = ["{$name}: in the stub, not exported by the extension"];
            }
            check($diff === [], implode('; ', $diff));
        });
    }
}

finish('stub/php');
