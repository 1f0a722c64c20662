using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.UnsafeAsPointerAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// Memory already pinned is not movable (DESIGN.md, PIN2003): a live pinned handle on the same array (local, or a
/// pinned-handle field of the type over the array field), POH arrays reached through array elements or another
/// object's field, <c>GC.AllocateArray(n, flag)</c> used under <c>if (flag)</c>, and addresses only compared or asserted.
/// Each valid shape has a reported neighbour that differs in the one fact.
/// </summary>
public sealed class PIN2003AlreadyPinnedTests
{
    [Fact]
    public Task LivePinnedHandleOnTheSameArray_NoDiagnostic()
        => Verify.VerifyAsync("""
            using System.Runtime.CompilerServices;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                [DllImport("lib")] private static extern void fill(byte* p, int n);

                public static void Fill(byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        fill((byte*)Unsafe.AsPointer(ref buffer[0]), buffer.Length);
                        fill((byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer)), buffer.Length);
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """);

    [Fact]
    public Task HandleFreedBeforeTheUse_OrOnAnotherArray_Reported()
        => Verify.VerifyAsync("""
            using System.Runtime.CompilerServices;
            using System.Runtime.InteropServices;

            unsafe static class Native
            {
                [DllImport("lib")] private static extern void fill(byte* p, int n);

                public static void Fill(byte[] buffer, byte[] other)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    fill((byte*)Unsafe.AsPointer(ref buffer[0]), buffer.Length);
                    fill((byte*){|PIN2003:Unsafe.AsPointer(ref other[0])|}, other.Length);
                    handle.Free();
                    fill((byte*){|PIN2003:Unsafe.AsPointer(ref buffer[0])|}, buffer.Length);
                }
            }
            """);

    [Fact]
    public Task PinnedHandleFieldOverTheArrayField_NoDiagnostic()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;
            using System.Runtime.InteropServices;

            unsafe sealed class Ring : IDisposable
            {
                private readonly byte[] _buffer = new byte[4096];
                private readonly byte[] _spare = new byte[4096];
                private GCHandle _handle;

                public Ring() => _handle = GCHandle.Alloc(_buffer, GCHandleType.Pinned);

                public byte* Start => (byte*)Unsafe.AsPointer(ref _buffer[0]);

                public byte* Spare => (byte*){|PIN2003:Unsafe.AsPointer(ref _spare[0])|};

                public void Dispose() => _handle.Free();
            }
            """);

    [Fact]
    public Task PohArraysReachedThroughArrayElements_NoDiagnostic()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;
            using System.Runtime.InteropServices;

            unsafe sealed class Segments
            {
                private readonly byte[][] _segments = new byte[16][];

                public Segments(int size)
                {
                    for (var i = 0; i < _segments.Length; i++)
                    {
                        _segments[i] = GC.AllocateArray<byte>(size, true);
                    }
                }

                public byte* Segment(int i) => (byte*)Unsafe.AsPointer(ref _segments[i][0]);

                public byte* Data(int i) => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_segments[i]));

                public static byte* First(int count, int size)
                {
                    var segs = new byte[count][];
                    for (var i = 0; i < count; i++)
                    {
                        segs[i] = GC.AllocateUninitializedArray<byte>(size, pinned: true);
                    }

                    return (byte*)Unsafe.AsPointer(ref segs[0][0]);
                }
            }
            """);

    [Fact]
    public Task ArrayElementsWithOneOrdinaryStore_Reported()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;

            unsafe static class Segments
            {
                public static byte* First(int count, int size)
                {
                    var segs = new byte[count][];
                    for (var i = 0; i < count; i++)
                    {
                        segs[i] = GC.AllocateArray<byte>(size, true);
                    }

                    segs[0] = new byte[size];
                    return (byte*){|PIN2003:Unsafe.AsPointer(ref segs[0][0])|};
                }

                public static byte* Given(byte[][] segs) => (byte*){|PIN2003:Unsafe.AsPointer(ref segs[0][0])|};
            }
            """);

    [Fact]
    public Task PohArrayInAnotherObjectsField_NoDiagnostic()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;

            sealed class State
            {
                public int[] table = null!;
                public int[] scratch = null!;
            }

            unsafe static class Tables
            {
                public static int* Build(State state, int n)
                {
                    state.table = GC.AllocateArray<int>(n, pinned: true);
                    return (int*)Unsafe.AsPointer(ref state.table[0]);
                }

                public static int* Scratch(State state, int n)
                {
                    state.scratch = new int[n];
                    return (int*){|PIN2003:Unsafe.AsPointer(ref state.scratch[0])|};
                }
            }
            """);

    [Fact]
    public Task AllocationFlagGuardsTheUse_NoDiagnostic()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;

            unsafe sealed class Buffer
            {
                private readonly bool _pinned;
                private readonly byte[] _data;

                public Buffer(int size, bool pinned)
                {
                    _pinned = pinned;
                    _data = GC.AllocateArray<byte>(size, _pinned);
                }

                public byte* Address => _pinned ? (byte*)Unsafe.AsPointer(ref _data[0]) : null;

                public byte* Unguarded => (byte*){|PIN2003:Unsafe.AsPointer(ref _data[0])|};

                public static byte* Local(int size, bool pin, bool other)
                {
                    var a = GC.AllocateArray<byte>(size, pinned: pin);
                    if (pin)
                    {
                        return (byte*)Unsafe.AsPointer(ref a[0]);
                    }

                    if (other)
                    {
                        return (byte*){|PIN2003:Unsafe.AsPointer(ref a[0])|};
                    }

                    return null;
                }
            }
            """);

    [Fact]
    public Task AddressOnlyComparedOrAsserted_NoDiagnostic()
        => Verify.VerifyAsync("""
            using System.Diagnostics;
            using System.Runtime.CompilerServices;

            unsafe static class Checks
            {
                public static bool Same(byte[] buffer, byte* p)
                {
                    Debug.Assert(Unsafe.AsPointer(ref buffer[0]) == p, "moved");
                    return Unsafe.AsPointer(ref buffer[0]) == p;
                }

                public static byte* Kept(byte[] buffer, byte* p)
                {
                    var q = (byte*){|PIN2003:Unsafe.AsPointer(ref buffer[0])|};
                    return q == p ? q : null;
                }
            }
            """);
    [Fact]
    public Task AllocationFlagGuardsAJaggedElement_NoDiagnostic()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;

            unsafe sealed class Pages<T> where T : unmanaged
            {
                private readonly T[][] values = new T[16][];
                private readonly IntPtr[] pointers = new IntPtr[16];
                private readonly bool isPinned;

                public Pages(int size, bool pinned)
                {
                    isPinned = pinned;
                    values[0] = GC.AllocateArray<T>(size, isPinned);
                    if (isPinned)
                    {
                        pointers[0] = (IntPtr)Unsafe.AsPointer(ref values[0][0]);
                    }
                }

                public void Grow(int index, int size)
                {
                    if (index == 1)
                    {
                        var tmp = GC.AllocateArray<T>(size, isPinned);
                        if (isPinned) pointers[1] = (IntPtr)Unsafe.AsPointer(ref tmp[0]);
                        values[1] = tmp;
                    }
                    else
                    {
                        var tmp = GC.AllocateArray<T>(size, isPinned);
                        if (isPinned) pointers[index] = (IntPtr)Unsafe.AsPointer(ref tmp[0]);
                        values[index] = tmp;
                    }
                }

                public IntPtr Unguarded(int index) => (IntPtr){|PIN2003:Unsafe.AsPointer(ref values[index][0])|};
            }
            """);

    [Fact]
    public Task JaggedElementWithAStoreNotUnderTheFlag_Reported()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;

            unsafe sealed class Pages<T> where T : unmanaged
            {
                private readonly T[][] values = new T[16][];
                private readonly IntPtr[] pointers = new IntPtr[16];
                private readonly bool isPinned;

                public Pages(int size, bool pinned)
                {
                    isPinned = pinned;
                    values[0] = GC.AllocateArray<T>(size, isPinned);
                    if (isPinned)
                    {
                        pointers[0] = (IntPtr){|PIN2003:Unsafe.AsPointer(ref values[0][0])|};
                    }
                }

                public void Replace(int index, int size)
                {
                    var tmp = new T[size];
                    values[index] = tmp;
                }
            }
            """);

    [Fact]
    public Task AddressOnlySubtractedFromAnotherIsAnOffset_NoDiagnostic()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;

            unsafe sealed class Pages
            {
                private readonly byte[][] values = new byte[16][];
                private readonly long[] pointers = new long[16];

                public void ClearPage(long page, int offset)
                {
                    offset += (int)(pointers[page % 16] - (long)Unsafe.AsPointer(ref values[page % 16][0]));
                    Array.Clear(values[page % 16], offset, values[page % 16].Length - offset);
                }

                public byte* Derived(long page, int offset)
                    => (byte*)((long){|PIN2003:Unsafe.AsPointer(ref values[page % 16][0])|} - offset);
            }
            """);
}
