using System.Linq;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;
using VerifyMemory = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.MemoryHandleAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// PIN1003 (DESIGN.md, rule catalogue and "What outlives and escapes mean"): a pin made per loop iteration and kept
/// past the iteration. It supersedes PIN1001/PIN1002 for that site, so every positive here expects exactly one
/// diagnostic on the pin call and nothing else from <see cref="PinnedHandleAnalyzer"/> (from
/// <see cref="MemoryHandleAnalyzer"/> for <c>MemoryHandle</c> pins, where PIN1003 supersedes PIN3001/PIN3002).
/// </summary>
public sealed class PIN1003PinsAccumulateInLoopTests
{
    [Fact]
    public void MessageSaysTheNumberOfPinsDependsOnTheData()
    {
        var descriptor = new PinnedHandleAnalyzer().SupportedDiagnostics.Single(d => d.Id == "PIN1003");
        var format = descriptor.MessageFormat.ToString();
        Assert.Contains("depends on the data", format);
        Assert.Contains("{0}", format);
        Assert.Equal("Pins accumulate in a loop", descriptor.Title.ToString());
        Assert.Equal(Microsoft.CodeAnalysis.DiagnosticSeverity.Warning, descriptor.DefaultSeverity);
    }

    [Fact]
    public Task HandleAddedToFieldCollectionInForLoop_OneDiagnosticNotPIN1001()
        => Verify.VerifyAsync("""
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Pool
            {
                private readonly List<GCHandle> _handles = new();

                public void PinAll(byte[][] buffers)
                {
                    for (var i = 0; i < buffers.Length; i++)
                    {
                        var handle = {|#0:GCHandle.Alloc(buffers[i], GCHandleType.Pinned)|};
                        _handles.Add(handle);
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1003").WithLocation(0).WithArguments("added to collection '_handles'"));

    [Fact]
    public Task HandleAddedDirectlyInForeach()
        => Verify.VerifyAsync("""
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Pool
            {
                private readonly List<GCHandle> _handles = new();

                public void PinAll(IEnumerable<byte[]> buffers)
                {
                    foreach (var buffer in buffers)
                    {
                        _handles.Add({|PIN1003:GCHandle.Alloc(buffer, GCHandleType.Pinned)|});
                    }
                }
            }
            """);

    [Fact]
    public Task HandleAddedToLocalListFreedAfterTheLoop()
        => Verify.VerifyAsync("""
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            static class Batch
            {
                [DllImport("libc")] private static extern nint writev(int fd, nint iov, int count);

                public static void Send(int fd, byte[][] buffers)
                {
                    var handles = new List<GCHandle>();
                    foreach (var buffer in buffers)
                    {
                        handles.Add({|PIN1003:GCHandle.Alloc(buffer, GCHandleType.Pinned)|});
                    }

                    writev(fd, 0, handles.Count);
                    foreach (var handle in handles)
                    {
                        handle.Free();
                    }
                }
            }
            """);

    [Fact]
    public Task HandleStoredInFieldArrayElement_OneDiagnosticNotPIN1001()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            sealed class Pool
            {
                private readonly GCHandle[] _handles = new GCHandle[16];

                public void PinAll(byte[][] buffers)
                {
                    for (var i = 0; i < buffers.Length; i++)
                    {
                        _handles[i] = {|#0:GCHandle.Alloc(buffers[i], GCHandleType.Pinned)|};
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1003").WithLocation(0).WithArguments("stored in an array element"));

    [Fact]
    public Task HandleStoredInLocalArrayElement()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Batch
            {
                public static GCHandle[] PinAll(byte[][] buffers)
                {
                    var handles = new GCHandle[buffers.Length];
                    var i = 0;
                    while (i < buffers.Length)
                    {
                        handles[i] = {|PIN1003:GCHandle.Alloc(buffers[i], GCHandleType.Pinned)|};
                        i++;
                    }

                    return handles;
                }
            }
            """);

    [Fact]
    public Task HandleOverwrittenInFieldEachIteration()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            sealed class Cursor
            {
                private GCHandle _current;

                public void Walk(byte[][] buffers)
                {
                    foreach (var buffer in buffers)
                    {
                        _current = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1003").WithLocation(0).WithArguments("stored in field '_current'"));

    [Fact]
    public Task HandleStoredInDictionaryInDoWhile()
        => Verify.VerifyAsync("""
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Registry
            {
                private readonly Dictionary<int, GCHandle> _byId = new();

                public void PinAll(byte[][] buffers)
                {
                    var id = 0;
                    do
                    {
                        _byId[id] = {|PIN1003:GCHandle.Alloc(buffers[id], GCHandleType.Pinned)|};
                        id++;
                    }
                    while (id < buffers.Length);
                }
            }
            """);

    [Fact]
    public Task AddressKeptInCollectionWhileHandleIsDropped()
        => Verify.VerifyAsync("""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Scatter
            {
                private readonly List<IntPtr> _addresses = new();

                public void Map(byte[][] buffers)
                {
                    foreach (var buffer in buffers)
                    {
                        var handle = {|PIN1003:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                        _addresses.Add(handle.AddrOfPinnedObject());
                    }
                }
            }
            """);

    [Fact]
    public Task TypedPinnedHandleAddedToCollection()
        => Verify.VerifyAsync("""
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Pool
            {
                private readonly List<PinnedGCHandle<byte[]>> _handles = new();

                public void PinAll(byte[][] buffers)
                {
                    foreach (var buffer in buffers)
                    {
                        _handles.Add({|PIN1003:new PinnedGCHandle<byte[]>(buffer)|});
                    }
                }
            }
            """);

    [Fact]
    public Task TypedPinnedHandleStoredInArrayElement()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            sealed class Pool
            {
                private readonly PinnedGCHandle<byte[]>[] _slots = new PinnedGCHandle<byte[]>[8];

                public void PinAll(byte[][] buffers)
                {
                    for (var i = 0; i < buffers.Length; i++)
                    {
                        var handle = {|PIN1003:new PinnedGCHandle<byte[]>(buffers[i])|};
                        _slots[i] = handle;
                    }
                }
            }
            """);

    [Fact]
    public Task MemoryPinAddedToCollection()
        => VerifyMemory.VerifyAsync("""
            using System;
            using System.Buffers;
            using System.Collections.Generic;

            sealed class Registrations
            {
                private readonly List<MemoryHandle> _pins = new();

                public void PinAll(Memory<byte>[] segments)
                {
                    foreach (var segment in segments)
                    {
                        _pins.Add({|PIN1003:segment.Pin()|});
                    }
                }
            }
            """);

    [Fact]
    public Task ReadOnlyMemoryPinStoredInArrayElement()
        => VerifyMemory.VerifyAsync("""
            using System;
            using System.Buffers;

            sealed class Registrations
            {
                private readonly MemoryHandle[] _pins = new MemoryHandle[8];

                public void PinAll(ReadOnlyMemory<byte>[] segments)
                {
                    for (var i = 0; i < segments.Length; i++)
                    {
                        _pins[i] = {|PIN1003:segments[i].Pin()|};
                    }
                }
            }
            """);

    [Fact]
    public Task PinInInnerOfNestedLoops_OneDiagnostic()
        => Verify.VerifyAsync("""
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Grid
            {
                private readonly List<GCHandle> _handles = new();

                public void PinAll(byte[][][] rows)
                {
                    foreach (var row in rows)
                    {
                        foreach (var cell in row)
                        {
                            _handles.Add({|PIN1003:GCHandle.Alloc(cell, GCHandleType.Pinned)|});
                        }
                    }
                }
            }
            """);

    [Fact]
    public Task TwoSitesInOneLoop_OneDiagnosticEach()
        => Verify.VerifyAsync("""
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Pairs
            {
                private readonly List<GCHandle> _keys = new();
                private readonly List<GCHandle> _values = new();

                public void PinAll(byte[][] keys, byte[][] values)
                {
                    for (var i = 0; i < keys.Length; i++)
                    {
                        _keys.Add({|PIN1003:GCHandle.Alloc(keys[i], GCHandleType.Pinned)|});
                        _values.Add({|PIN1003:GCHandle.Alloc(values[i], GCHandleType.Pinned)|});
                    }
                }
            }
            """);

    [Fact]
    public Task HandleHeldInLocalDeclaredOutsideTheLoop()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Batch
            {
                public static void PinAll(byte[][] buffers)
                {
                    GCHandle last = default;
                    foreach (var buffer in buffers)
                    {
                        last = {|PIN1003:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    }

                    if (last.IsAllocated)
                    {
                        last.Free();
                    }
                }
            }
            """);

    // ---- valid code and boundaries: no PIN1003 ----

    [Fact]
    public Task PinFreedInFinallyWithinEachIteration()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Batch
            {
                public static void Send(byte[][] buffers, Action<IntPtr, int> send)
                {
                    foreach (var buffer in buffers)
                    {
                        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                        try
                        {
                            send(handle.AddrOfPinnedObject(), buffer.Length);
                        }
                        finally
                        {
                            handle.Free();
                        }
                    }
                }
            }
            """);

    [Fact]
    public Task LoopPinsIntoLocalAndFreesIt()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Batch
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(int fd, byte[][] buffers)
                {
                    for (var i = 0; i < buffers.Length; i++)
                    {
                        var handle = GCHandle.Alloc(buffers[i], GCHandleType.Pinned);
                        write(fd, handle.AddrOfPinnedObject(), buffers[i].Length);
                        handle.Free();
                    }
                }
            }
            """);

    [Fact]
    public Task TypedHandleDisposedByUsingInEachIteration()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            unsafe static class Batch
            {
                [DllImport("libc")] private static extern nint write(int fd, byte* buffer, nint count);

                public static void Send(int fd, byte[][] buffers)
                {
                    foreach (var buffer in buffers)
                    {
                        using var handle = new PinnedGCHandle<byte[]>(buffer);
                        write(fd, handle.GetAddressOfArrayData(), buffer.Length);
                    }
                }
            }
            """);

    [Fact]
    public Task MemoryPinDisposedByUsingInEachIteration()
        => VerifyMemory.VerifyAsync("""
            using System;

            unsafe static class Batch
            {
                public static void Send(Memory<byte>[] segments, Action<IntPtr, int> send)
                {
                    foreach (var segment in segments)
                    {
                        using (var pin = segment.Pin())
                        {
                            send((IntPtr)pin.Pointer, segment.Length);
                        }
                    }
                }
            }
            """);

    [Fact]
    public Task OnePinOutsideTheLoop()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Batch
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(int fd, byte[] buffer, int chunk)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        for (var offset = 0; offset < buffer.Length; offset += chunk)
                        {
                            write(fd, handle.AddrOfPinnedObject() + offset, chunk);
                        }
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """);

    [Fact]
    public Task OnePinOutsideTheLoopAddedRepeatedlyIsPIN1001NotPIN1003()
        => Verify.VerifyAsync("""
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Pool
            {
                private readonly List<GCHandle> _handles = new();

                public void Share(byte[] buffer, int times)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    for (var i = 0; i < times; i++)
                    {
                        _handles.Add(handle);
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is added to collection '_handles'"));

    [Fact]
    public Task PinReturnedFromInsideLoopIsMadeOnceAndIsPIN1001()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Finder
            {
                public static GCHandle PinFirstNonEmpty(byte[][] buffers)
                {
                    foreach (var buffer in buffers)
                    {
                        if (buffer.Length > 0)
                        {
                            return {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                        }
                    }

                    return default;
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is returned"));

    [Fact]
    public Task PinnedObjectHeapBuffersAllocatedPerIteration()
        => Verify.VerifyAsync("""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Pool
            {
                private readonly List<GCHandle> _handles = new();

                public void Grow(int count)
                {
                    for (var i = 0; i < count; i++)
                    {
                        var buffer = GC.AllocateArray<byte>(4096, pinned: true);
                        _handles.Add(GCHandle.Alloc(buffer, GCHandleType.Pinned));
                    }
                }
            }
            """);

    [Fact]
    public Task PinnedObjectHeapUninitializedBuffersStoredInArray()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Pool
            {
                private readonly GCHandle[] _handles = new GCHandle[8];

                public void Grow()
                {
                    for (var i = 0; i < _handles.Length; i++)
                    {
                        _handles[i] = GCHandle.Alloc(GC.AllocateUninitializedArray<byte>(4096, pinned: true), GCHandleType.Pinned);
                    }
                }
            }
            """);

    [Fact]
    public Task PinnedObjectHeapMemoryPinnedPerIteration()
        => VerifyMemory.VerifyAsync("""
            using System;
            using System.Buffers;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Registrations
            {
                private readonly List<MemoryHandle> _pins = new();

                public void Grow(int count)
                {
                    for (var i = 0; i < count; i++)
                    {
                        var memory = MemoryMarshal.CreateFromPinnedArray(GC.AllocateArray<byte>(4096, pinned: true), 0, 4096);
                        _pins.Add(memory.Pin());
                    }
                }
            }
            """);

    [Fact]
    public Task NormalHandlesInALoopAreNotPins()
        => Verify.VerifyAsync("""
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Roots
            {
                private readonly List<GCHandle> _roots = new();

                public void Root(object[] states)
                {
                    foreach (var state in states)
                    {
                        _roots.Add(GCHandle.Alloc(state, GCHandleType.Normal));
                        _roots.Add(GCHandle.Alloc(state));
                    }
                }
            }
            """);

    // ---- broken code ----

    [Fact]
    public Task HalfTypedLoopDoesNotCrash()
        => Verify.VerifyNoCrashAsync("""
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Pool
            {
                private readonly List<GCHandle> _handles = new();

                public void PinAll(byte[][] buffers)
                {
                    for (var i = 0; i < buffers.; i++
                    {
                        _handles.Add(GCHandle.Alloc(buffers[i], GCHandleType.Pinned
                    }
            }
            """,
            "PIN1004", "PIN1005");

    [Fact]
    public Task LoopWithoutBodyDoesNotCrash()
        => Verify.VerifyNoCrashAsync("""
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Pool
            {
                private readonly List<GCHandle> _handles = new();

                public void PinAll(byte[][] buffers)
                {
                    foreach (var buffer in )
                        _handles.Add(GCHandle.Alloc(buffer, GCHandleType.Pinned));
                    while (
                }
            }
            """,
            "PIN1005");

    /// <summary>
    /// A scratch buffer grown in a loop: the previous pin is freed before the next is made, under a test of the local
    /// assigned right before the pin (Garnet's FetchVectorElementAttributes). One pin at a time is not a pile-up; the
    /// same loop without the free before re-pinning still is.
    /// </summary>
    [Fact]
    public Task PinReplacedUnderATestOfItsCompanionLocal_OnlyTheLeakyLoopReported()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;
            using System.Runtime.InteropServices;
            static class A
            {
                [DllImport("x")] static extern int read(nint p, int n);
                public static int Fetch(int[] lengths)
                {
                    GCHandle idPin = default;
                    byte[] arr = null;
                    var total = 0;
                    try
                    {
                        foreach (var len in lengths)
                        {
                            if (arr == null || len > arr.Length)
                            {
                                if (arr != null)
                                {
                                    idPin.Free();
                                    ArrayPool<byte>.Shared.Return(arr);
                                }

                                arr = ArrayPool<byte>.Shared.Rent(len);
                                idPin = GCHandle.Alloc(arr, GCHandleType.Pinned);
                            }
                            total += read(idPin.AddrOfPinnedObject(), len);
                        }
                    }
                    finally
                    {
                        if (arr != null)
                        {
                            idPin.Free();
                            ArrayPool<byte>.Shared.Return(arr);
                        }
                    }
                    return total;
                }
                public static int Leaky(int[] lengths)
                {
                    GCHandle idPin = default;
                    byte[] arr = null;
                    var total = 0;
                    try
                    {
                        foreach (var len in lengths)
                        {
                            if (arr == null || len > arr.Length)
                            {
                                arr = ArrayPool<byte>.Shared.Rent(len);
                                idPin = {|#0:GCHandle.Alloc(arr, GCHandleType.Pinned)|};
                            }
                            total += read(idPin.AddrOfPinnedObject(), len);
                        }
                    }
                    finally
                    {
                        if (arr != null) idPin.Free();
                    }
                    return total;
                }
            }
            """,
            Verify.Diagnostic("PIN1003").WithLocation(0).WithArguments("held in 'idPin', declared outside the loop"));
}
