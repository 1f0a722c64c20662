using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Xunit;
using Entry = PinAnalyzers.Tests.Verifiers.InventoryVerifier.Entry;
using Verify = PinAnalyzers.Tests.Verifiers.InventoryVerifier;

namespace PinAnalyzers.Tests;

/// <summary>
/// PIN9001, the pin inventory: every site kind with each lifetime class it can have, sites that are not pins, the rule
/// off by default (and not even run then), turned on by .editorconfig or .globalconfig, and the rule page's jq line.
/// </summary>
public sealed partial class PIN9001PinSiteTests
{
    // ---- GCHandle.Alloc(x, GCHandleType.Pinned)

    [Fact]
    public Task HandleFreedInFinallyIsShort()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(int fd, byte[] buffer)
                {
                    var handle = [|GCHandle.Alloc(buffer, GCHandleType.Pinned)|];
                    try
                    {
                        write(fd, handle.AddrOfPinnedObject(), buffer.Length);
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """,
            new Entry("gchandle", "short", "freed on every path in the method"));

    [Fact]
    public Task HandleKeptInFieldIsLong()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Ring : IDisposable
            {
                private readonly byte[] _samples = new byte[4096];
                private GCHandle _pin;

                public Ring() => _pin = [|GCHandle.Alloc(_samples, GCHandleType.Pinned)|];

                public void Dispose() => _pin.Free();
            }
            """,
            new Entry("gchandle", "long", "stored in field '_pin'"));

    [Fact]
    public Task HandleWhoseAddressIsStoredIsLong()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            sealed class Device
            {
                private nint _buffer;

                public void Register(byte[] buffer)
                {
                    var handle = [|GCHandle.Alloc(buffer, GCHandleType.Pinned)|];
                    _buffer = handle.AddrOfPinnedObject();
                }
            }
            """,
            new Entry("gchandle", "long", "its address is stored in field '_buffer'"));

    [Fact]
    public Task HandleWhoseAddressGoesToARetainingCallIsLong()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Rdma
            {
                [DllImport("ibverbs")] private static extern nint ibv_reg_mr(nint pd, nint addr, nint length, int access);

                public static nint Register(nint pd, byte[] buffer)
                {
                    var handle = [|GCHandle.Alloc(buffer, GCHandleType.Pinned)|];
                    return ibv_reg_mr(pd, handle.AddrOfPinnedObject(), buffer.Length, 1);
                }
            }
            """,
            new Entry("gchandle", "long", "its address is passed to 'ibv_reg_mr', which keeps it"));

    [Fact]
    public Task HandleNeverFreedIsLeaked()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern nint read(int fd, nint buffer, nint count);

                public static void Receive(int fd, byte[] buffer)
                {
                    var handle = [|GCHandle.Alloc(buffer, GCHandleType.Pinned)|];
                    read(fd, handle.AddrOfPinnedObject(), buffer.Length);
                }
            }
            """,
            new Entry("gchandle", "leaked", "the pin is never freed"));

    [Fact]
    public Task HandleFreedAfterAThrowingCallIsLeaked()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                private static void Check(nint result)
                {
                    if (result < 0) throw new System.IO.IOException();
                }

                public static void Send(int fd, byte[] payload)
                {
                    var handle = [|GCHandle.Alloc(payload, GCHandleType.Pinned)|];
                    Check(write(fd, handle.AddrOfPinnedObject(), payload.Length));
                    handle.Free();
                }
            }
            """,
            new Entry("gchandle", "leaked", "the pin may leak if 'Check' throws"));

    [Fact]
    public Task HandleOnThePinnedObjectHeapIsPoh()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Ring : IDisposable
            {
                private readonly byte[] _samples = GC.AllocateArray<byte>(4096, pinned: true);
                private GCHandle _pin;

                public Ring() => _pin = [|GCHandle.Alloc(_samples, GCHandleType.Pinned)|];

                public void Dispose() => _pin.Free();
            }
            """,
            new Entry("gchandle", "poh", "the memory is on the Pinned Object Heap and never moves"));

    [Fact]
    public Task HandlesMadeInALoopAndKeptAreLong()
        => Verify.VerifyAsync("""
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Pool
            {
                private readonly List<GCHandle> _pins = new();

                public void PinAll(byte[][] buffers)
                {
                    foreach (var buffer in buffers)
                    {
                        _pins.Add([|GCHandle.Alloc(buffer, GCHandleType.Pinned)|]);
                    }
                }
            }
            """,
            new Entry("gchandle", "long"));

    [Fact]
    public Task HandlesThatAreNotPinsAreNotListed()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Handles
            {
                public static void M(object o, GCHandleType type)
                {
                    var normal = GCHandle.Alloc(o);
                    var weak = GCHandle.Alloc(o, GCHandleType.Weak);
                    var unknown = GCHandle.Alloc(o, type);
                    normal.Free();
                    weak.Free();
                    unknown.Free();
                }
            }
            """);

    [Fact]
    public Task PinsInALambdaAreListed()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static Action Later(byte[] buffer)
                    => () =>
                    {
                        var handle = [|GCHandle.Alloc(buffer, GCHandleType.Pinned)|];
                        handle.Free();
                    };
            }
            """,
            new Entry("gchandle", "short", "freed on every path in the method"));

    // ---- new PinnedGCHandle<T>(x)

    [Fact]
    public Task TypedHandleInUsingIsShort()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                public static unsafe void Send(byte[] buffer)
                {
                    using var pin = [|new PinnedGCHandle<byte[]>(buffer)|];
                    _ = pin.GetAddressOfArrayData();
                }
            }
            """,
            new Entry("pinned-gchandle", "short", "disposed on every path in the method"));

    [Fact]
    public Task TypedHandleReturnedIsLong()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                public static PinnedGCHandle<byte[]> Pin(byte[] buffer) => [|new PinnedGCHandle<byte[]>(buffer)|];
            }
            """,
            new Entry("pinned-gchandle", "long", "returned"));

    [Fact]
    public Task TypedHandleNeverDisposedIsLeaked()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                public static unsafe void Send(byte[] buffer)
                {
                    var pin = [|new PinnedGCHandle<byte[]>(buffer)|];
                    _ = pin.GetAddressOfArrayData();
                }
            }
            """,
            new Entry("pinned-gchandle", "leaked", "the pin is never disposed"));

    // ---- Memory<T>.Pin(), IPinnable.Pin

    [Fact]
    public Task MemoryHandleInUsingIsShort()
        => Verify.VerifyAsync("""
            using System;

            static class Native
            {
                public static unsafe long First(Memory<byte> memory)
                {
                    using var handle = [|memory.Pin()|];
                    return *(byte*)handle.Pointer;
                }
            }
            """,
            new Entry("memory-handle", "short", "disposed on every path in the method"));

    [Fact]
    public Task MemoryHandleKeptInFieldIsLong()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            sealed class Registration
            {
                private MemoryHandle _pin;

                public void Register(ReadOnlyMemory<byte> memory) => _pin = [|memory.Pin()|];
            }
            """,
            new Entry("memory-handle", "long", "stored in field '_pin'"));

    [Fact]
    public Task MemoryHandleNeverDisposedIsLeaked()
        => Verify.VerifyAsync("""
            using System;

            static class Native
            {
                public static unsafe byte First(Memory<byte> memory)
                {
                    var handle = [|memory.Pin()|];
                    return *(byte*)handle.Pointer;
                }
            }
            """,
            new Entry("memory-handle", "leaked", "the pin is never disposed"));

    [Fact]
    public Task MemoryHandleOverPinnedObjectHeapMemoryIsPoh()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            sealed class Registration
            {
                private MemoryHandle _pin;

                public void Register()
                {
                    var buffer = GC.AllocateArray<byte>(4096, pinned: true);
                    _pin = [|buffer.AsMemory().Pin()|];
                }
            }
            """,
            new Entry("memory-handle", "poh"));

    [Fact]
    public Task PinnablePinAndOtherPinMethods()
        => Verify.VerifyAsync("""
            using System.Buffers;

            sealed class Latch
            {
                public int Pin() => 1;
            }

            static class Native
            {
                public static void Use(IPinnable pinnable, Latch latch)
                {
                    using (var handle = [|pinnable.Pin(0)|])
                    {
                    }

                    latch.Pin();
                }
            }
            """,
            new Entry("memory-handle", "short"));

    // ---- fixed

    [Fact]
    public Task FixedIsScoped()
        => Verify.VerifyAsync("""
            static class Native
            {
                [System.Runtime.InteropServices.DllImport("libc")] private static extern unsafe nint write(int fd, byte* buffer, nint count);

                public static unsafe void Send(int fd, byte[] payload)
                {
                    fixed (byte* [|p = payload|])
                    {
                        write(fd, p, payload.Length);
                    }
                }
            }
            """,
            new Entry("fixed", "scoped", "unpinned when the fixed statement ends"));

    [Fact]
    public Task FixedWhosePointerEscapesIsStillScoped()
        => Verify.VerifyAsync("""
            unsafe sealed class Reader
            {
                private byte* _cursor;

                public void Start(byte[] data)
                {
                    fixed (byte* [|p = data|])
                    {
                        _cursor = p;
                    }
                }
            }
            """,
            new Entry("fixed", "scoped"));

    [Fact]
    public Task FixedOverPinnedObjectHeapMemoryIsPoh()
        => Verify.VerifyAsync("""
            unsafe sealed class Reader
            {
                private static readonly byte[] s_data = System.GC.AllocateArray<byte>(64, pinned: true);

                public byte First()
                {
                    fixed (byte* [|p = s_data|])
                    {
                        return *p;
                    }
                }
            }
            """,
            new Entry("fixed", "poh"));

    [Fact]
    public Task EveryDeclaratorOfAFixedStatementIsASite()
        => Verify.VerifyAsync("""
            static class Copy
            {
                public static unsafe void Run(byte[] from, byte[] to)
                {
                    fixed (byte* [|source = from|], [|target = to|])
                    {
                        *target = *source;
                    }
                }
            }
            """,
            new Entry("fixed", "scoped"),
            new Entry("fixed", "scoped"));

    // ---- Unsafe.AsPointer

    [Fact]
    public Task AsPointerOfAnArrayElementIsUnpinned()
        => Verify.VerifyAsync("""
            using System.Runtime.CompilerServices;

            static class Native
            {
                public static unsafe void* First(byte[] buffer) => [|Unsafe.AsPointer(ref buffer[0])|];
            }
            """,
            new Entry("unsafe-as-pointer", "unpinned", "the address of an array element is taken without a pin"));

    [Fact]
    public Task AsPointerOfALocalNeedsNoPin()
        => Verify.VerifyAsync("""
            using System.Runtime.CompilerServices;

            static class Native
            {
                public static unsafe long Read()
                {
                    long value = 0;
                    var p = [|Unsafe.AsPointer(ref value)|];
                    return *(long*)p;
                }
            }
            """,
            new Entry("unsafe-as-pointer", "none"));

    [Fact]
    public Task AsPointerOfPinnedObjectHeapMemoryIsPoh()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;

            static class Native
            {
                public static unsafe void* Fresh()
                {
                    var buffer = GC.AllocateArray<byte>(64, pinned: true);
                    return [|Unsafe.AsPointer(ref buffer[0])|];
                }
            }
            """,
            new Entry("unsafe-as-pointer", "poh"));

    [Fact]
    public Task AsPointerInsideAFixedOverTheSameArrayIsNotUnpinned()
        => Verify.VerifyAsync("""
            using System.Runtime.CompilerServices;

            static class Native
            {
                public static unsafe long Sum(long[] values)
                {
                    fixed (long* [|p = values|])
                    {
                        return *(long*)[|Unsafe.AsPointer(ref values[1])|] + *p;
                    }
                }
            }
            """,
            new Entry("fixed", "scoped"),
            new Entry("unsafe-as-pointer", "none"));

    // ---- leases and lease scopes

    [Fact]
    public Task LeaseDisposedIsLease()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            static class Native
            {
                public static long Size(byte[] buffer, PinBudget budget)
                {
                    using var lease = [|PinLease<byte>.Acquire(buffer, budget)|];
                    return lease.ByteLength;
                }
            }
            """,
            new Entry("lease", "lease", "revocable, disposed on every path in the method"));

    [Fact]
    public Task LeaseKeptInFieldIsLease()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Registration : IDisposable
            {
                private readonly PinLease<byte> _lease;

                public Registration(int length)
                {
                    _lease = [|PinLease<byte>.Allocate(length)|];
                    _lease.RevocationRequested.Register(Dispose);
                }

                public void Dispose() => _lease.Dispose();
            }
            """,
            new Entry("lease", "lease", "revocable, stored in field '_lease'"));

    [Fact]
    public Task LeaseNeverDisposedIsLeaked()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            static class Native
            {
                public static nint Address(byte[] buffer)
                {
                    var lease = [|PinLease<byte>.Acquire(buffer)|];
                    return lease.Address;
                }
            }
            """,
            new Entry("lease", "leaked", "the lease is never disposed"));

    [Fact]
    public Task TryAcquiredLeaseAndScopes()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            static class Native
            {
                public static long Sum(byte[] buffer, PinBudget budget)
                {
                    if (![|PinLease<byte>.TryAcquire(buffer, budget, out var lease)|])
                    {
                        return 0;
                    }

                    using (lease)
                    {
                        using (var scope = [|lease.Enter()|])
                        {
                            return scope.Span.Length;
                        }
                    }
                }
            }
            """,
            new Entry("lease", "lease"),
            new Entry("lease-scope", "scoped", "disposed on every path in the method"));

    [Fact]
    public Task ScopeNeverDisposedIsLeaked()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            static class Native
            {
                public static int Length(PinLease<byte> lease)
                {
                    var scope = [|lease.Enter()|];
                    return scope.Span.Length;
                }
            }
            """,
            new Entry("lease-scope", "leaked", "the scope is never disposed"));

    // ---- mapped-view pointers and pin owners

    [Fact]
    public Task ViewPointers()
        => Verify.VerifyAsync("""
            using System.IO.MemoryMappedFiles;

            unsafe sealed class Log
            {
                private readonly MemoryMappedViewAccessor _view;
                private byte* _base;

                public Log(MemoryMappedViewAccessor view)
                {
                    _view = view;
                    [|_view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base)|];
                }

                public static byte First(MemoryMappedViewAccessor view)
                {
                    byte* p = null;
                    var handle = view.SafeMemoryMappedViewHandle;
                    [|handle.AcquirePointer(ref p)|];
                    try
                    {
                        return *p;
                    }
                    finally
                    {
                        handle.ReleasePointer();
                    }
                }
            }
            """,
            new Entry("mapped-view-pointer", "long", "acquired on a view held in a field, released with its owner"),
            new Entry("mapped-view-pointer", "short", "released on every path in the method"));

    [Fact]
    public Task PinOwners()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class PinnedBuffer : IDisposable
            {
                private GCHandle _handle;

                public PinnedBuffer(byte[] buffer) => _handle = [|GCHandle.Alloc(buffer, GCHandleType.Pinned)|];

                public void Dispose() => _handle.Free();
            }

            static class Use
            {
                public static void Run(byte[] a, byte[] b)
                {
                    using (var pin = [|new PinnedBuffer(a)|])
                    {
                    }

                    var leaked = [|new PinnedBuffer(b)|];
                }
            }
            """,
            new Entry("gchandle", "long", "stored in field '_handle'"),
            new Entry("pin-owner", "short", "disposed on every path in the method"),
            new Entry("pin-owner", "leaked"));

    // ---- combinations

    [Fact]
    public Task EverySiteOfAMethodIsClassifiedOnItsOwn()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.CompilerServices;
            using System.Runtime.InteropServices;

            unsafe sealed class Mixed
            {
                private GCHandle _kept;

                public void Run(byte[] a, byte[] b, byte[] c, byte[] d, Memory<byte> m)
                {
                    var shortPin = [|GCHandle.Alloc(a, GCHandleType.Pinned)|];
                    shortPin.Free();
                    _kept = [|GCHandle.Alloc(b, GCHandleType.Pinned)|];
                    var leaked = [|GCHandle.Alloc(c, GCHandleType.Pinned)|];
                    using var memoryPin = [|m.Pin()|];
                    fixed (byte* [|p = a|])
                    {
                        // d is pinned by nothing (b is, by the live handle in _kept: that one would be 'none').
                        _ = [|Unsafe.AsPointer(ref d[0])|];
                    }
                }
            }
            """,
            new Entry("gchandle", "short"),
            new Entry("gchandle", "long"),
            new Entry("gchandle", "leaked"),
            new Entry("memory-handle", "short"),
            new Entry("fixed", "scoped"),
            new Entry("unsafe-as-pointer", "unpinned"));

    [Fact]
    public Task CodeWithoutPinsHasNoEntry()
        => Verify.VerifyAsync("""
            using System;
            using System.Linq;

            static class Plain
            {
                public static int Sum(int[] values) => values.Where(v => v > 0).Sum();

                public static unsafe int First(Span<int> span)
                {
                    int* p = stackalloc int[4];
                    p[0] = span[0];
                    return p[0];
                }
            }
            """);

    // ---- on and off

    private const string SomePins = """
        using System.Runtime.InteropServices;

        static class Native
        {
            public static unsafe void Send(byte[] buffer)
            {
                var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                handle.Free();
                fixed (byte* p = buffer)
                {
                }
            }
        }
        """;

    [Fact]
    public async Task OffByDefault_TheAnalyzerDoesNotEvenRun()
    {
        var result = await Verify.RunAsync(SomePins);
        Verify.AssertNoErrors(result);
        Assert.DoesNotContain(result.Diagnostics, d => d.Id == "PIN9001");

        // The driver skipped the analyzer: it was never initialized, so it registered nothing and ran nothing.
        Assert.Equal(0, result.Telemetry.CompilationStartActionsCount);
        Assert.Equal(0, result.Telemetry.OperationBlockStartActionsCount);
        Assert.Equal(TimeSpan.Zero, result.Telemetry.ExecutionTime);
    }

    [Fact]
    public async Task SeverityNone_TheAnalyzerDoesNotEvenRun()
    {
        var result = await Verify.RunAsync(SomePins, editorConfig: "dotnet_diagnostic.PIN9001.severity = none");
        Verify.AssertNoErrors(result);
        Assert.DoesNotContain(result.Diagnostics, d => d.Id == "PIN9001");
        Assert.Equal(0, result.Telemetry.CompilationStartActionsCount);
        Assert.Equal(TimeSpan.Zero, result.Telemetry.ExecutionTime);
    }

    [Theory]
    [InlineData("dotnet_diagnostic.PIN1001.severity = error")]
    [InlineData("dotnet_analyzer_diagnostic.category-PinLifetime.severity = error")]
    // The compiler applies bulk (category and all-rules) settings only to rules that are on by default: even the
    // inventory's own category does not turn it on; only its id does (docs/rules/PIN9001.md says so).
    [InlineData("dotnet_analyzer_diagnostic.category-PinInventory.severity = suggestion")]
    [InlineData("dotnet_analyzer_diagnostic.severity = suggestion")]
    public async Task OtherSettings_TheInventoryStaysOff(string line)
    {
        var result = await Verify.RunAsync(SomePins, editorConfig: line);
        Verify.AssertNoErrors(result);
        Assert.DoesNotContain(result.Diagnostics, d => d.Id == "PIN9001");
        Assert.Equal(0, result.Telemetry.CompilationStartActionsCount);
    }

    [Theory]
    [InlineData("dotnet_diagnostic.PIN9001.severity = suggestion", DiagnosticSeverity.Info)]
    [InlineData("dotnet_diagnostic.PIN9001.severity = silent", DiagnosticSeverity.Hidden)]
    [InlineData("dotnet_diagnostic.PIN9001.severity = warning", DiagnosticSeverity.Warning)]
    public async Task TurnedOnByEditorConfig(string line, DiagnosticSeverity severity)
    {
        var result = await Verify.RunAsync(SomePins, editorConfig: line);
        Verify.AssertNoErrors(result);
        var entries = result.Diagnostics.Where(d => d.Id == "PIN9001").ToList();
        Assert.Equal(2, entries.Count);
        Assert.All(entries, d => Assert.Equal(severity, d.Severity));
        Assert.Equal(1, result.Telemetry.CompilationStartActionsCount);
    }

    [Fact]
    public async Task TurnedOnByGlobalConfig()
    {
        var result = await Verify.RunAsync(SomePins, globalConfig: "dotnet_diagnostic.PIN9001.severity = suggestion");
        Verify.AssertNoErrors(result);
        Assert.Equal(2, result.Diagnostics.Count(d => d.Id == "PIN9001"));
    }

    [Fact]
    public async Task TheBrokenCodeRunnerTurnsTheInventoryOn()
    {
        // BrokenCodeTests.PinInventoryAnalyzerDoesNotCrash relies on this: without it, the analyzer would not run there.
        var diagnostics = await PinAnalyzers.Tests.Verifiers.BrokenCode.RunAnalyzerAsync(new PinInventoryAnalyzer(), SomePins, enable: ["PIN9001"]);
        Assert.Equal(2, diagnostics.Count(d => d.Id == "PIN9001"));
    }

    [Fact]
    public void EveryFinderIsInTheList()
    {
        // The inventory registers PinSiteFinders.All: a finder declared beside the others but left out of the list would
        // give its rule sites that the inventory never sees.
        var declared = typeof(PinSiteFinders).GetFields(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic)
            .Where(f => f.FieldType == typeof(PinSiteFinder))
            .Select(f => (PinSiteFinder)f.GetValue(null)!)
            .ToList();
        Assert.NotEmpty(declared);
        Assert.All(declared, finder => Assert.Contains(finder, PinSiteFinders.All));
        Assert.Equal(PinSiteFinders.All.Length, PinSiteFinders.All.Distinct().Count());
    }

    [Fact]
    public void DescriptorIsHiddenAndOffByDefault()
    {
        var descriptor = Assert.Single(new PinInventoryAnalyzer().SupportedDiagnostics);
        Assert.Equal("PIN9001", descriptor.Id);
        Assert.Equal("PinInventory", descriptor.Category);
        Assert.Equal(DiagnosticSeverity.Hidden, descriptor.DefaultSeverity);
        Assert.False(descriptor.IsEnabledByDefault);
    }

    [Fact]
    public void EveryKindHasALineAndADocumentedName()
    {
        // A new PinKind needs one line in InventoryKind.Of: its name and reading, or NotAPinSite. Without it the inventory
        // would skip its sites in silence; this test is what makes the line hard to forget.
        var page = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "rules", "PIN9001.md"));
        foreach (var kind in Enum.GetValues<PinAnalyzers.Flow.PinKind>())
        {
            var entry = InventoryKind.Of(kind);
            Assert.False(
                ReferenceEquals(entry, InventoryKind.Unlisted),
                $"PinKind.{kind} has no line in InventoryKind.Of (analyzer/PinInventoryAnalyzer.cs): add `PinKind.{kind} => new(\"name\", LifetimeReading.Released, \"released\")` and list the name in docs/rules/PIN9001.md, or `=> InventoryKind.NotAPinSite`");
            if (entry.IsListed)
            {
                Assert.True(page.Contains($"`{entry.Name}`", StringComparison.Ordinal), $"docs/rules/PIN9001.md does not list the kind `{entry.Name}` ({kind})");
            }
        }

        foreach (var name in new[] { "short", "scoped", "long", "poh", "lease", "leaked", "unpinned", "none" })
        {
            Assert.True(page.Contains($"`{name}`", StringComparison.Ordinal), $"docs/rules/PIN9001.md does not list the class `{name}`");
        }
    }

    // ---- the rule page's jq one-liner against what the compiler writes

    [Fact]
    public async Task TheRulePagesJqLineReadsTheFieldsTheAnalyzerWrites()
    {
        var page = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "rules", "PIN9001.md"));
        var jq = JqLine().Match(page);
        Assert.True(jq.Success, "docs/rules/PIN9001.md has no line starting with `jq ` in a code block");

        // The fields the line reads: .ruleId, and .properties.customProperties.<name> for the diagnostic's properties.
        var properties = PropertyPath().Matches(jq.Value).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Contains("ruleId", jq.Value, StringComparison.Ordinal);
        Assert.Contains(PinInventoryAnalyzer.KindProperty, properties);
        Assert.Contains(PinInventoryAnalyzer.ClassProperty, properties);

        // The analyzer writes exactly those properties on every entry.
        var result = await Verify.RunAsync(SomePins, editorConfig: Verify.Enable);
        var entries = result.Diagnostics.Where(d => d.Id == "PIN9001").ToList();
        Assert.NotEmpty(entries);
        foreach (var diagnostic in entries)
        {
            foreach (var property in properties)
            {
                Assert.True(diagnostic.Properties.ContainsKey(property), $"the jq line reads .properties.customProperties.{property}, which PIN9001 does not write");
            }
        }

        // And the compiler's SARIF 2.1 logger puts a diagnostic's properties under results[].properties.customProperties:
        // write a log with the compiler's own logger (the one /errorlog uses) and read the fields back as the line does.
        var sarif = await WriteSarifAsync(entries);
        using var document = JsonDocument.Parse(sarif);
        Assert.Equal("2.1.0", document.RootElement.GetProperty("version").GetString());
        var results = document.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(entries.Count, results.Count);
        foreach (var written in results)
        {
            Assert.Equal("PIN9001", written.GetProperty("ruleId").GetString());
            var bag = written.GetProperty("properties").GetProperty("customProperties");
            foreach (var property in properties)
            {
                Assert.True(bag.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String, $"SARIF results[].properties.customProperties has no string '{property}': {bag}");
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="diagnostics"/> with the compiler's SARIF 2.1 error logger — the class behind
    /// <c>/errorlog:file,version=2.1</c> — reached by reflection: it is internal to Microsoft.CodeAnalysis.
    /// </summary>
    private static Task<string> WriteSarifAsync(IReadOnlyList<Diagnostic> diagnostics)
    {
        var assembly = typeof(Diagnostic).Assembly;
        var loggerType = assembly.GetType("Microsoft.CodeAnalysis.SarifV2ErrorLogger", throwOnError: true)!;
        using var stream = new MemoryStream();
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        var logger = Activator.CreateInstance(
            loggerType,
            System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic,
            binder: null,
            args: [stream, "csc", "4.14", new Version(4, 14, 0), culture],
            culture: null)!;
        var log = loggerType.GetMethod("LogDiagnostic", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)!;
        foreach (var diagnostic in diagnostics)
        {
            var parameters = log.GetParameters();
            log.Invoke(logger, parameters.Length == 2 ? [diagnostic, null] : [diagnostic]);
        }

        ((IDisposable)logger).Dispose();
        return Task.FromResult(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    [GeneratedRegex(@"^jq .*$", RegexOptions.Multiline)]
    private static partial Regex JqLine();

    [GeneratedRegex(@"\.properties\.customProperties\.([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex PropertyPath();
}
