# 64-bit FNV-1a hash of the input memory (r1 = address, r2 = length).
# Run: cargo run --release -p ebee-cli -- run examples/fnv1a.s --data-in examples/hello.txt
lddw %r0, 0xcbf29ce484222325
lddw %r6, 0x100000001b3
mov %r3, 0
loop:
jge %r3, %r2, done
mov %r4, %r1
add %r4, %r3
ldxb %r5, [%r4+0]
xor %r0, %r5
mul %r0, %r6
add %r3, 1
ja loop
done:
exit
