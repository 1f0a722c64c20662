using Xunit;
using VerifyFixed = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.FixedPointerAnalyzer>;
using VerifyHandle = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;
using VerifyMemory = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.MemoryHandleAnalyzer>;
using VerifyUnsafe = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.UnsafeAsPointerAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// Half-typed code, as an editor sees it on every keystroke: no analyzer may throw (AD0001), and none may report a
/// diagnostic that the snippet cannot support. Every snippet runs against the four pin analyzers.
/// </summary>
public sealed class BrokenCodeTests
{
    private sealed record Snippet(string Source, string[] Forbidden);

    private static readonly Dictionary<string, Snippet> s_snippets = new()
    {
        ["UnterminatedMemoryPin"] = new("""
            using System;
            using System.Buffers;

            static class C
            {
                static MemoryHandle s_pin;

                static void M(Memory<byte> memory)
                {
                    s_pin = memory.Pin(
                    using var h = memory.
            """,
            // The field store is not a pin yet; nothing makes a pin per iteration.
            ["PIN1003", "PIN1004", "PIN1005", "PIN2002"]),

        ["MemoryPinOnErrorType"] = new("""
            using System.Buffers;

            static class C
            {
                static MemoryHandle? s_pin;

                static void M(Unknown memory, IPinnable pinnable)
                {
                    s_pin ??= memory.Pin();
                    using (pinnable.Pin(
                    {
                        await System.Threading.Tasks.Task.Yield();
                    }
                }
            }
            """,
            ["PIN1003", "PIN1004", "PIN1005", "PIN2002"]),

        ["UnterminatedAlloc"] = new("""
            using System.Runtime.InteropServices;

            static class C
            {
                static void M(byte[] buffer)
                {
                    var handle = GCHandle.Alloc(
                }
            }
            """,
            // Nothing is pinned yet: no handle rule, and the target is not a value type.
            ["PIN1001", "PIN1003", "PIN1004", "PIN1005", "PIN2002"]),

        ["UnterminatedAllocWithTarget"] = new("""
            using System.Runtime.InteropServices;

            static class C
            {
                static void M(byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned
                    handle.AddrOfPinnedObject(
            """,
            ["PIN1004", "PIN1005", "PIN2002"]),

        ["FixedWithNothingAfter"] = new("""
            unsafe static class C
            {
                static void M(byte[] data)
                {
                    fixed (byte* p =
            """,
            ["PIN2001", "PIN2002", "PIN2003"]),

        ["FixedWithoutBody"] = new("""
            unsafe static class C
            {
                static byte* s_cursor;

                static void M(byte[] data)
                {
                    fixed (byte* p = data)
                }

                static void N(byte[] data)
                {
                    fixed (byte* p = data
                    s_cursor =
                }
            }
            """,
            ["PIN2002", "PIN2003"]),

        ["MissingBraces"] = new("""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            unsafe sealed class C
            {
                private readonly List<GCHandle> _handles = new();
                private byte* _cursor;

                void M(byte[][] buffers)
                {
                    foreach (var buffer in buffers)
                    {
                        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                        if (buffer.Length > 0)
                        {
                            fixed (byte* p = buffer)
                            {
                                _cursor = p;
            """,
            ["PIN1004", "PIN1005", "PIN2002", "PIN2003"]),

        ["WrongArgumentCounts"] = new("""
            using System;
            using System.Runtime.CompilerServices;
            using System.Runtime.InteropServices;

            unsafe sealed class C
            {
                private GCHandle _a;
                private GCHandle _b;

                void M(byte[] buffer, int value)
                {
                    _a = GCHandle.Alloc();
                    _b = GCHandle.Alloc(value, GCHandleType.Pinned, 3);
                    var c = new PinnedGCHandle<byte[]>(buffer, buffer);
                    var d = new PinnedGCHandle<byte[]>();
                    var e = Unsafe.AsPointer();
                    var f = Unsafe.AsPointer(ref buffer[0], ref buffer[1]);
                    var g = _a.AddrOfPinnedObject(1);
                    var h = GCHandle.Alloc(buffer, GCHandleType.Normal, 1).AddrOfPinnedObject();
                }
            }
            """,
            // A call that does not bind is not a pin, not an address and not an AsPointer.
            ["PIN1001", "PIN1002", "PIN1003", "PIN1004", "PIN1005", "PIN2003"]),

        ["OpenGenericTypedHandle"] = new("""
            using System.Runtime.InteropServices;

            static class C
            {
                static void M(byte[] buffer)
                {
                    var handle = new PinnedGCHandle<>(
                    var other = new PinnedGCHandle<>(buffer);
                }
            }
            """,
            ["PIN1004", "PIN1005", "PIN2002", "PIN2003"]),

        ["AsPointerWithEmptyRef"] = new("""
            using System.Runtime.CompilerServices;

            unsafe sealed class C
            {
                private int _field;

                void* M(int[] values)
                {
                    var a = Unsafe.AsPointer(ref );
                    var b = Unsafe.AsPointer(ref values[]);
                    var c = Unsafe.AsPointer(ref _field
                }
            }
            """,
            ["PIN1001", "PIN1002", "PIN2001", "PIN2002"]),

        ["TryWithoutFinally"] = new("""
            using System;
            using System.Runtime.InteropServices;

            static class C
            {
                [DllImport("libc")] static extern nint write(int fd, IntPtr buffer, nint count);

                static void M(int fd, byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        write(fd, handle.AddrOfPinnedObject(), buffer.Length);
                    }
                }

                static unsafe void N(byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        try
                        {
                            *p = 1;
                        }
                    }
                }
            }
            """,
            ["PIN1001", "PIN1003", "PIN1004", "PIN1005", "PIN2001", "PIN2002", "PIN2003"]),

        ["LambdaCutOff"] = new("""
            using System;
            using System.Runtime.CompilerServices;
            using System.Runtime.InteropServices;
            using System.Threading.Tasks;

            static class C
            {
                static unsafe Task M(byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    Action a = () =>
                    {
                        fixed (byte* p = buffer)
                        {
                            var q = Unsafe.AsPointer(ref buffer[
                    return Task.Run(() => handle.AddrOfPinnedObject(
            """,
            ["PIN1004", "PIN1005"]),

        ["HandleTypeNotTypedYet"] = new("""
            using System;
            using System.Runtime.InteropServices;

            sealed class C
            {
                private GCHandle _handle = GCHandle.Alloc(new object(), GCHandleType.);
                private GCHandle _other = GCHandle.Alloc(new object(), GCHandleType.Pin);

                IntPtr A() => _handle.AddrOfPinnedObject();

                IntPtr B() => _other.AddrOfPinnedObject();
            }
            """,
            // The kind of the allocation is unknown: PIN1005 would name a kind that does not exist.
            ["PIN1004", "PIN1005"]),

        ["RetainingAttributeHalfDeclared"] = new("""
            using System.Runtime.InteropServices;

            sealed class RetainsPointerAttribute : System.

            unsafe static class C
            {
                [RetainsPointer(
                static void Submit(byte* p) { }

                static void M(byte[] data)
                {
                    fixed (byte* p = data) { Submit(p
                }
            }
            """,
            ["PIN2001", "PIN2003"]),

        ["PinOwnerHalfTyped"] = new("""
            using System.Runtime.InteropServices;

            sealed class PinnedBuffer : System.IDisposable
            {
                private GCHandle _handle;

                public PinnedBuffer(byte[] array) => _handle = GCHandle.Alloc(array, GCHandleType.Pinned);

                public static implicit operator PinnedBuffer(string text) => new(

                public void Dispose() { _handle.Free(
            }

            static class Use
            {
                public static PinnedBuffer Pin(this byte[] a) => new(a, );

                static void M(byte[] data)
                {
                    var b = new PinnedBuffer(
                    PinnedBuffer c = "x";
                    using var d = data.Pin(;
                    for (;;) { new PinnedBuffer(data) }
            """,
            // A half-typed owner's uses are not judged as owners: nothing pins per iteration for sure, no address flows.
            ["PIN1004", "PIN1005", "PIN2002", "PIN2004"]),

        ["RetainingHelperAndCarrierHalfTyped"] = new("""
            using System;
            using System.Threading.Tasks;

            unsafe struct Carrier
            {
                private IntPtr _p;
                public Carrier(IntPtr p) { _p = p
                public Carrier(int n, Unknown q) => _p = q;
            }

            unsafe static class Helpers
            {
                public static void Later(IntPtr p) => Task.Run(() => Use(p)
                public static void Keep(byte* p) => s_p = p;
                static void Use(IntPtr p) { }
                public static GCHandle Again(byte[] a) => Again(a);

                static Carrier M(byte[] data, Entry[] entries)
                {
                    fixed (byte* p = data)
                    fixed (Entry* e = entries)
                    {
                        Later((IntPtr)p);
                        Keep(p;
                        var x = &e->;
                        var y = (IntPtr)e[0].name;
                        return new Carrier((IntPtr)p, );
                    }
                }
            }
            """,
            ["PIN1004", "PIN1005", "PIN2004"]),

        ["TopLevelStatementsWithoutUnsafe"] = new("""
            using System.Runtime.CompilerServices;
            using System.Runtime.InteropServices;

            var buffer = new byte[16];
            fixed (byte* p = buffer) { }
            var h = GCHandle.Alloc(buffer, GCHandleType.Pinned) h.Free();
            var q = Unsafe.AsPointer(ref buffer[0]
            """,
            ["PIN1004", "PIN1005", "PIN2002"]),
    };

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var name in s_snippets.Keys)
        {
            data.Add(name);
        }

        return data;
    }

    [Fact]
    public void ThereAreAtLeastTenSnippets() => Assert.True(s_snippets.Count >= 10);

    [Theory]
    [MemberData(nameof(Names))]
    public Task PinnedHandleAnalyzerDoesNotCrash(string name)
        => VerifyHandle.VerifyNoCrashAsync(s_snippets[name].Source, s_snippets[name].Forbidden);

    [Theory]
    [MemberData(nameof(Names))]
    public Task MemoryHandleAnalyzerDoesNotCrash(string name)
        => VerifyMemory.VerifyNoCrashAsync(s_snippets[name].Source, s_snippets[name].Forbidden);

    [Theory]
    [MemberData(nameof(Names))]
    public Task FixedPointerAnalyzerDoesNotCrash(string name)
        => VerifyFixed.VerifyNoCrashAsync(s_snippets[name].Source, s_snippets[name].Forbidden);

    [Theory]
    [MemberData(nameof(Names))]
    public Task UnsafeAsPointerAnalyzerDoesNotCrash(string name)
        => VerifyUnsafe.VerifyNoCrashAsync(s_snippets[name].Source, s_snippets[name].Forbidden);
}
