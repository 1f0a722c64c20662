using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;
using VerifyMemory = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.MemoryHandleAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// Release through a container (DESIGN.md, "What outlives and escapes mean"): handles handed to a local or
/// instance-field list, array or aggregate whose every element is released in a finally (or by using of the aggregate)
/// that covers the hand-over end before the method returns — no PIN1001/PIN1003 (PIN3001/PIN1003 for MemoryHandle).
/// Containers that escape, releases that do not cover the adds, and leaks before the hand-over stay reported.
/// </summary>
public sealed class PIN1003ReleasedThroughContainerTests
{
    private const string Native = """
        [DllImport("lib")] private static extern int submit(IntPtr[] buffers, int count);
        [DllImport("lib")] private static extern int submit1(IntPtr buffer, int count);
        """;

    [Fact]
    public Task LocalList_ForeachFreeInFinally_NoDiagnostic()
        => Verify.VerifyAsync($$"""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            static class Batch
            {
                {{Native}}

                public static int Send(byte[][] buffers)
                {
                    var handles = new List<GCHandle>();
                    var addresses = new IntPtr[buffers.Length];
                    try
                    {
                        for (var i = 0; i < buffers.Length; i++)
                        {
                            var handle = GCHandle.Alloc(buffers[i], GCHandleType.Pinned);
                            handles.Add(handle);
                            addresses[i] = handle.AddrOfPinnedObject();
                        }

                        return submit(addresses, addresses.Length);
                    }
                    finally
                    {
                        foreach (var h in handles)
                        {
                            h.Free();
                        }
                    }
                }
            }
            """);

    [Fact]
    public Task LocalList_ForLoopFreeInFinally_PinAddedDirectly_NoDiagnostic()
        => Verify.VerifyAsync($$"""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            static class Batch
            {
                {{Native}}

                public static int Send(byte[][] buffers)
                {
                    var handles = new List<GCHandle>(buffers.Length);
                    try
                    {
                        foreach (var buffer in buffers)
                        {
                            handles.Add(GCHandle.Alloc(buffer, GCHandleType.Pinned));
                        }

                        var addresses = new IntPtr[handles.Count];
                        for (var i = 0; i < handles.Count; i++)
                        {
                            addresses[i] = handles[i].AddrOfPinnedObject();
                        }

                        return submit(addresses, addresses.Length);
                    }
                    finally
                    {
                        for (var i = 0; i < handles.Count; i++)
                        {
                            handles[i].Free();
                        }
                    }
                }
            }
            """);

    [Fact]
    public Task LocalList_ForEachLambdaInFinally_SinglePin_NoPIN1001()
        => Verify.VerifyAsync($$"""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            static class Batch
            {
                {{Native}}

                public static int Send(byte[] header, byte[] body)
                {
                    var handles = new List<GCHandle>();
                    try
                    {
                        var first = GCHandle.Alloc(header, GCHandleType.Pinned);
                        handles.Add(first);
                        var second = GCHandle.Alloc(body, GCHandleType.Pinned);
                        handles.Add(second);
                        return submit(new[] { first.AddrOfPinnedObject(), second.AddrOfPinnedObject() }, 2);
                    }
                    finally
                    {
                        handles.ForEach(h => h.Free());
                    }
                }
            }
            """);

    [Fact]
    public Task LocalArray_GuardedFreeInFinally_NoDiagnostic()
        => Verify.VerifyAsync($$"""
            using System;
            using System.Runtime.InteropServices;

            static class Batch
            {
                {{Native}}

                public static int Send(byte[][] buffers)
                {
                    var handles = new GCHandle[buffers.Length];
                    var addresses = new IntPtr[buffers.Length];
                    try
                    {
                        for (var i = 0; i < buffers.Length; i++)
                        {
                            handles[i] = GCHandle.Alloc(buffers[i], GCHandleType.Pinned);
                            addresses[i] = handles[i].AddrOfPinnedObject();
                        }

                        return submit(addresses, addresses.Length);
                    }
                    finally
                    {
                        foreach (var handle in handles)
                        {
                            if (handle.IsAllocated)
                            {
                                handle.Free();
                            }
                        }
                    }
                }
            }
            """);

    [Fact]
    public Task FieldList_FreedAndClearedInTheSameFinally_NoDiagnostic()
        => Verify.VerifyAsync($$"""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Batch
            {
                {{Native}}

                private readonly List<GCHandle> _handles = new();

                public int Send(byte[][] buffers)
                {
                    try
                    {
                        foreach (var buffer in buffers)
                        {
                            _handles.Add(GCHandle.Alloc(buffer, GCHandleType.Pinned));
                        }

                        return submit(new IntPtr[0], 0);
                    }
                    finally
                    {
                        foreach (var handle in _handles)
                        {
                            handle.Free();
                        }

                        _handles.Clear();
                    }
                }
            }
            """);

    [Fact]
    public Task FieldList_FreedButNotCleared_StillPIN1003()
        => Verify.VerifyAsync($$"""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Batch
            {
                {{Native}}

                private readonly List<GCHandle> _handles = new();

                public int Send(byte[][] buffers)
                {
                    try
                    {
                        foreach (var buffer in buffers)
                        {
                            _handles.Add({|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|});
                        }

                        return submit(new IntPtr[0], 0);
                    }
                    finally
                    {
                        foreach (var handle in _handles)
                        {
                            handle.Free();
                        }
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1003").WithLocation(0).WithArguments("added to collection '_handles'"));

    private const string PinSet = """
        sealed class PinSet : IDisposable
        {
            private readonly List<GCHandle> _pinned = new();

            public IntPtr Add(object value)
            {
                return IntPtr.Zero;
            }

            public void Add(GCHandle handle) => _pinned.Add(handle);

            public void Describe(GCHandle handle) => Console.WriteLine(handle.IsAllocated);

            public void Dispose() => UnpinAll();

            private void UnpinAll()
            {
                foreach (var active in _pinned)
                {
                    if (active.IsAllocated)
                    {
                        active.Free();
                    }
                }
            }
        }
        """;

    [Fact]
    public Task AggregateDisposedByUsing_NoDiagnostic()
        => Verify.VerifyAsync($$"""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            {{PinSet}}

            static class Batch
            {
                {{Native}}

                public static int Send(byte[][] buffers)
                {
                    using var pins = new PinSet();
                    var addresses = new IntPtr[buffers.Length];
                    for (var i = 0; i < buffers.Length; i++)
                    {
                        var handle = GCHandle.Alloc(buffers[i], GCHandleType.Pinned);
                        pins.Add(handle);
                        addresses[i] = handle.AddrOfPinnedObject();
                    }

                    return submit(addresses, addresses.Length);
                }
            }
            """);

    [Fact]
    public Task AggregateDisposedByUsingStatement_NoDiagnostic()
        => Verify.VerifyAsync($$"""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            {{PinSet}}

            static class Batch
            {
                {{Native}}

                public static int Send(byte[] buffer)
                {
                    using (var pins = new PinSet())
                    {
                        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                        pins.Add(handle);
                        return submit(new[] { handle.AddrOfPinnedObject() }, 1);
                    }
                }
            }
            """);

    [Fact]
    public Task AggregateNotDisposed_StillReported()
        => Verify.VerifyAsync($$"""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            {{PinSet}}

            static class Batch
            {
                {{Native}}

                public static int Send(byte[] buffer)
                {
                    var pins = new PinSet();
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    pins.Add(handle);
                    return submit1(handle.AddrOfPinnedObject(), 1);
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is never freed"));

    [Fact]
    public Task AggregateDisposedByUsing_HandleOnlyShownToIt_StillReported()
        => Verify.VerifyAsync($$"""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            {{PinSet}}

            static class Batch
            {
                {{Native}}

                public static int Send(byte[] buffer)
                {
                    using var pins = new PinSet();
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    pins.Describe(handle);
                    return submit1(handle.AddrOfPinnedObject(), 1);
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is never freed"));

    [Fact]
    public Task ReleaseAfterTheLoopNotInFinally_StillPIN1003()
        => Verify.VerifyAsync($$"""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            static class Batch
            {
                {{Native}}

                public static int Send(byte[][] buffers)
                {
                    var handles = new List<GCHandle>();
                    foreach (var buffer in buffers)
                    {
                        handles.Add({|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|});
                    }

                    var result = submit(new IntPtr[0], 0);
                    foreach (var h in handles)
                    {
                        h.Free();
                    }

                    return result;
                }
            }
            """,
            Verify.Diagnostic("PIN1003").WithLocation(0).WithArguments("added to collection 'handles'"));

    [Fact]
    public Task AddsBeforeTheTry_StillPIN1003()
        => Verify.VerifyAsync($$"""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            static class Batch
            {
                {{Native}}

                public static int Send(byte[][] buffers)
                {
                    var handles = new List<GCHandle>();
                    foreach (var buffer in buffers)
                    {
                        handles.Add({|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|});
                    }

                    try
                    {
                        return submit(new IntPtr[0], 0);
                    }
                    finally
                    {
                        foreach (var h in handles)
                        {
                            h.Free();
                        }
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1003").WithLocation(0).WithArguments("added to collection 'handles'"));

    [Fact]
    public Task ContainerThatEscapes_StillPIN1003()
        => Verify.VerifyAsync("""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Batch
            {
                private List<GCHandle>? _kept;

                public void Send(byte[][] buffers)
                {
                    var handles = new List<GCHandle>();
                    try
                    {
                        foreach (var buffer in buffers)
                        {
                            handles.Add({|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|});
                        }

                        _kept = handles;
                    }
                    finally
                    {
                        foreach (var h in handles)
                        {
                            h.Free();
                        }
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1003").WithLocation(0).WithArguments("added to collection 'handles'"));

    [Fact]
    public Task EarlyReturnBeforeTheAdd_StillPIN1002()
        => Verify.VerifyAsync($$"""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            static class Batch
            {
                {{Native}}

                public static int Send(byte[] buffer, bool skip)
                {
                    var handles = new List<GCHandle>();
                    try
                    {
                        var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                        if (skip)
                        {
                            return 0;
                        }

                        handles.Add(handle);
                        return submit1(handle.AddrOfPinnedObject(), 1);
                    }
                    finally
                    {
                        foreach (var h in handles)
                        {
                            h.Free();
                        }
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is not freed on every path"));

    [Fact]
    public Task ThrowingCallBeforeTheAdd_StillPIN1002()
        => Verify.VerifyAsync($$"""
            using System;
            using System.Collections.Generic;
            using System.IO;
            using System.Runtime.InteropServices;

            static class Batch
            {
                {{Native}}

                public static int Send(Stream source, byte[][] buffers)
                {
                    var handles = new List<GCHandle>();
                    try
                    {
                        foreach (var buffer in buffers)
                        {
                            var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                            source.Read(buffer, 0, buffer.Length);
                            handles.Add(handle);
                        }

                        return submit(new IntPtr[0], 0);
                    }
                    finally
                    {
                        foreach (var h in handles)
                        {
                            h.Free();
                        }
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'Read' throws"));

    [Fact]
    public Task ValidContainerNextToAHandleKeptInAField_FieldStillPIN1001()
        => Verify.VerifyAsync($$"""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Batch
            {
                {{Native}}

                private GCHandle _last;

                public int Send(byte[][] buffers)
                {
                    var handles = new List<GCHandle>();
                    try
                    {
                        foreach (var buffer in buffers)
                        {
                            handles.Add(GCHandle.Alloc(buffer, GCHandleType.Pinned));
                        }

                        _last = {|#0:GCHandle.Alloc(buffers[0], GCHandleType.Pinned)|};
                        return submit(new IntPtr[0], 0);
                    }
                    finally
                    {
                        foreach (var h in handles)
                        {
                            h.Free();
                        }
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in field '_last'"));

    [Fact]
    public Task MemoryHandles_ListDisposedElementWiseInFinally_NoDiagnostic()
        => VerifyMemory.VerifyAsync("""
            using System;
            using System.Buffers;
            using System.Collections.Generic;

            unsafe static class Batch
            {
                private static void Submit(void* p) { }

                public static void Send(ReadOnlyMemory<byte>[] segments)
                {
                    var pins = new List<MemoryHandle>(segments.Length);
                    try
                    {
                        foreach (var segment in segments)
                        {
                            var pin = segment.Pin();
                            pins.Add(pin);
                            Submit(pin.Pointer);
                        }
                    }
                    finally
                    {
                        foreach (var pin in pins)
                        {
                            pin.Dispose();
                        }
                    }
                }
            }
            """);

    [Fact]
    public Task MemoryHandles_ListNeverDisposed_StillPIN1003()
        => VerifyMemory.VerifyAsync("""
            using System;
            using System.Buffers;
            using System.Collections.Generic;

            static class Batch
            {
                public static List<MemoryHandle> Send(ReadOnlyMemory<byte>[] segments)
                {
                    var pins = new List<MemoryHandle>(segments.Length);
                    foreach (var segment in segments)
                    {
                        pins.Add({|#0:segment.Pin()|});
                    }

                    return pins;
                }
            }
            """,
            VerifyMemory.Diagnostic("PIN1003").WithLocation(0).WithArguments("added to collection 'pins'"));

    [Fact]
    public Task MemoryHandle_SinglePinInListDisposedInFinally_NoPIN3001()
        => VerifyMemory.VerifyAsync("""
            using System;
            using System.Buffers;
            using System.Collections.Generic;

            unsafe static class Batch
            {
                private static void Submit(void* p) { }

                public static void Send(ReadOnlyMemory<byte> segment)
                {
                    var pins = new List<MemoryHandle>();
                    try
                    {
                        var pin = segment.Pin();
                        pins.Add(pin);
                        Submit(pin.Pointer);
                    }
                    finally
                    {
                        pins.ForEach(p => p.Dispose());
                    }
                }
            }
            """);
    private const string Group = """
        sealed class GroupDisposable : IDisposable
        {
            private readonly List<MemoryHandle> _handles = new();

            public MemoryHandle Add(MemoryHandle handle)
            {
                _handles.Add(handle);
                return handle;
            }

            public void Dispose()
            {
                foreach (var handle in _handles)
                    handle.Dispose();
            }
        }
        """;

    [Fact]
    public Task PinsHandedToAnAggregateTheCallerDisposes_NoDiagnostic()
        => VerifyMemory.VerifyAsync($$"""
            using System;
            using System.Buffers;
            using System.Collections.Generic;

            {{Group}}

            unsafe struct NativeBatch { public int* tokens; public byte* logits; public byte** patterns; }

            unsafe sealed class Batch
            {
                private readonly int[] _tokens = new int[64];
                private readonly byte[] _logits = new byte[64];

                // The group is returned: the caller disposes it, and with it every pin.
                public GroupDisposable ToNative(out NativeBatch batch)
                {
                    var group = new GroupDisposable();
                    batch = new NativeBatch
                    {
                        tokens = (int*)group.Add(_tokens.AsMemory().Pin()).Pointer,
                        logits = (byte*)group.Add(_logits.AsMemory().Pin()).Pointer,
                    };

                    batch.patterns = Patterns(new[] { "a", "b" }, group);
                    return group;
                }

                // The caller's group, in a loop too: each pin is released with it.
                private static byte** Patterns(string[] patterns, GroupDisposable disposer)
                {
                    var pointers = new IntPtr[patterns.Length];
                    for (var i = 0; i < patterns.Length; i++)
                    {
                        var pin = System.Text.Encoding.UTF8.GetBytes(patterns[i]).AsMemory().Pin();
                        disposer.Add(pin);
                        pointers[i] = (IntPtr)pin.Pointer;
                    }

                    var table = pointers.AsMemory().Pin();
                    disposer.Add(table);
                    return (byte**)table.Pointer;
                }
            }
            """);

    [Fact]
    public Task PinsHandedToAnAggregateNobodyDisposesOrTheObjectKeeps_Reported()
        => VerifyMemory.VerifyAsync($$"""
            using System;
            using System.Buffers;
            using System.Collections.Generic;

            {{Group}}

            sealed class Batch
            {
                private readonly GroupDisposable _pins = new();

                public unsafe nint Leak(byte[] data)
                {
                    var group = new GroupDisposable();
                    var pin = {|#0:data.AsMemory().Pin()|};
                    group.Add(pin);
                    return 0;
                }

                public unsafe void Keep(byte[] data)
                {
                    var pin = {|#1:data.AsMemory().Pin()|};
                    _pins.Add(pin);
                }

                public unsafe GroupDisposable LeakBeforeHandOver(byte[] data, bool fail)
                {
                    var group = new GroupDisposable();
                    var pin = {|#2:data.AsMemory().Pin()|};
                    if (fail)
                    {
                        return group;
                    }

                    group.Add(pin);
                    return group;
                }
            }
            """,
            VerifyMemory.Diagnostic("PIN3002").WithLocation(0).WithArguments("is never disposed"),
            VerifyMemory.Diagnostic("PIN3001").WithLocation(1).WithArguments("it is added to collection '_pins'"),
            VerifyMemory.Diagnostic("PIN3002").WithLocation(2).WithArguments("is not disposed on every path"));

    private static string Overflow(string release) => $$"""
        using System;
        using System.Buffers;

        unsafe static class Bitmap
        {
            public static long Operation(IMemoryOwner<byte>[] sources)
            {
                MemoryHandle[] handles = null;
                var count = 0;
                long total = 0;
                try
                {
                    foreach (var owner in sources)
                    {
                        var handle = {|#0:owner.Memory.Pin()|};
                        handles ??= new MemoryHandle[sources.Length];
                        handles[count] = handle;
                        count++;
                        total += (long)handle.Pointer;
                    }

                    return total;
                }
                finally
                {
                    {{release}}
                }

                static void ReleaseAll(MemoryHandle[] pinned, ref int n)
                {
                    for (var i = 0; i < n; i++)
                    {
                        pinned[i].Dispose();
                    }

                    n = 0;
                }

                static void ReleaseFirst(MemoryHandle[] pinned, ref int n)
                {
                    pinned[0].Dispose();
                    n = 0;
                }
            }
        }
        """;

    [Fact]
    public Task LocalArray_ReleasedByAHelperInFinally_NoDiagnostic()
        => VerifyMemory.VerifyAsync(Overflow("ReleaseAll(handles, ref count);"));

    [Fact]
    public Task LocalArray_HelperThatReleasesOneElementOrNoHelperCall_StillPIN1003()
        => Task.WhenAll(
            VerifyMemory.VerifyAsync(Overflow("ReleaseFirst(handles, ref count);"),
                VerifyMemory.Diagnostic("PIN1003").WithLocation(0).WithArguments("stored in an array element")),
            VerifyMemory.VerifyAsync(Overflow("count = 0;"),
                VerifyMemory.Diagnostic("PIN1003").WithLocation(0).WithArguments("stored in an array element")));
}
