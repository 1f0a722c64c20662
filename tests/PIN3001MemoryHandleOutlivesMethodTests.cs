using System.Linq;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.MemoryHandleAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// PIN3001 (DESIGN.md, rule catalogue and "What outlives and escapes mean"; issue 7): a <c>MemoryHandle</c> from
/// <c>Memory&lt;T&gt;.Pin()</c>, <c>ReadOnlyMemory&lt;T&gt;.Pin()</c> or <c>IPinnable.Pin(int)</c> that escapes the method
/// that made it. Reported on the <c>Pin</c> call, the message naming the sink.
/// </summary>
public sealed class PIN3001MemoryHandleOutlivesMethodTests
{
    [Fact]
    public void DescriptorIsInTheMemoryHandlesFamily()
    {
        var descriptor = new MemoryHandleAnalyzer().SupportedDiagnostics.Single(d => d.Id == "PIN3001");
        Assert.Equal("MemoryHandle outlives the method that pinned it", descriptor.Title.ToString());
        Assert.Equal("MemoryHandles", descriptor.Category);
        Assert.Equal("The MemoryHandle outlives the method: {0}", descriptor.MessageFormat.ToString());
    }

    // ---- each escape form ----

    [Fact]
    public Task StoredInField()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            sealed class Receiver
            {
                private MemoryHandle _pin;

                public void Start(Memory<byte> buffer)
                {
                    _pin = {|#0:buffer.Pin()|};
                }
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is stored in field '_pin'"));

    [Fact]
    public Task StoredInStaticFieldByFieldInitializer()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            static class Buffers
            {
                private static readonly Memory<byte> s_memory = new byte[4096];
                private static MemoryHandle s_pin = {|#0:s_memory.Pin()|};
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is stored in static field 's_pin'"));

    [Fact]
    public Task ReadOnlyMemoryPinStoredInPropertyOfAnotherObject()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            sealed class Operation
            {
                public MemoryHandle Pin { get; set; }
            }

            static class Sender
            {
                public static void Begin(Operation operation, ReadOnlyMemory<byte> payload)
                {
                    operation.Pin = {|#0:payload.Pin()|};
                }
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is stored in property 'Pin'"));

    [Fact]
    public Task StoredInFieldOfAnotherObject()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            sealed class Operation
            {
                internal MemoryHandle BufferPin;
            }

            static class Sender
            {
                public static void Begin(Operation operation, Memory<byte> payload)
                {
                    var pin = {|#0:payload.Pin()|};
                    operation.BufferPin = pin;
                }
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is stored in field 'BufferPin'"));

    [Fact]
    public Task CoalesceAssignedIntoNullableField()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            sealed class Receiver
            {
                private readonly Memory<byte> _buffer = new byte[4096];
                private MemoryHandle? _pin;

                public void EnsurePinned()
                {
                    _pin ??= {|#0:_buffer.Pin()|};
                }
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is stored in field '_pin'"));

    [Fact]
    public Task CoalescedIntoNullableField()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            sealed class Receiver
            {
                private readonly Memory<byte> _buffer = new byte[4096];
                private MemoryHandle? _pin;

                public void EnsurePinned()
                {
                    _pin = _pin ?? {|#0:_buffer.Pin()|};
                }
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is stored in field '_pin'"));

    [Fact]
    public Task AddedToCollection()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;
            using System.Collections.Generic;

            sealed class Registry
            {
                private readonly List<MemoryHandle> _pins = new();

                public void Register(Memory<byte> region)
                {
                    _pins.Add({|#0:region.Pin()|});
                }
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is added to collection '_pins'"));

    [Fact]
    public Task StoredInArrayElement()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            sealed class Registry
            {
                private readonly MemoryHandle[] _pins = new MemoryHandle[4];

                public void Register(int slot, Memory<byte> region)
                {
                    _pins[slot] = {|#0:region.Pin()|};
                }
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is stored in an array element"));

    [Fact]
    public Task Returned()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            static class Pins
            {
                public static MemoryHandle Acquire(Memory<byte> memory)
                {
                    var handle = memory.Pin();
                    return handle;
                }

                public static MemoryHandle AcquireOrNot(Memory<byte> memory, bool pin)
                {
                    var handle = {|#0:memory.Pin()|};
                    return pin ? handle : default;
                }

                public static unsafe void Use(Memory<byte> memory)
                {
                    var pin = {|#1:Acquire(memory)|};
                    System.Console.WriteLine((nint)pin.Pointer);
                }
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is returned"),
            Verify.Diagnostic("PIN3002").WithLocation(1).WithArguments("is never disposed (pinned by 'Acquire')"));

    [Fact]
    public Task ReturnedInATuple()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            static class Pins
            {
                public static unsafe (MemoryHandle Pin, IntPtr Address) Acquire(Memory<byte> memory)
                {
                    var handle = {|#0:memory.Pin()|};
                    return (handle, (IntPtr)handle.Pointer);
                }
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is returned"));

    [Fact]
    public Task WrittenToOutParameter_HandedToTheCaller()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            static class Pins
            {
                // Like PIN1001's out-parameter factories: the caller owns the pin.
                public static bool TryPin(Memory<byte> memory, out MemoryHandle handle)
                {
                    handle = memory.Pin();
                    return true;
                }
            }
            """);

    [Fact]
    public Task WrittenToRefParameter()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            static class Pins
            {
                public static void Repin(Memory<byte> memory, ref MemoryHandle handle)
                {
                    handle.Dispose();
                    handle = {|#0:memory.Pin()|};
                }
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is written to ref parameter 'handle'"));

    [Fact]
    public Task CapturedByLambda()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            static class Completion
            {
                public static Action Begin(Memory<byte> memory)
                {
                    var handle = {|#0:memory.Pin()|};
                    return () => handle.Dispose();
                }
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is captured by a lambda"));

    [Fact]
    public Task CapturedByLocalFunction()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            static class Completion
            {
                public static Action Begin(Memory<byte> memory)
                {
                    var handle = {|#0:memory.Pin()|};
                    return Complete;

                    void Complete() => handle.Dispose();
                }
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is captured by local function 'Complete'"));

    [Fact]
    public Task MemoryManagerPinStoredInField()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            sealed class Channel
            {
                private MemoryHandle _pin;

                public void Attach(MemoryManager<byte> manager)
                {
                    _pin = {|#0:manager.Pin(0)|};
                }
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is stored in field '_pin'"));

    [Fact]
    public Task IPinnablePinAndOverridePinStoredInFields()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            sealed unsafe class NativeMemoryManager : MemoryManager<byte>
            {
                private readonly byte* _pointer;
                private readonly int _length;

                public NativeMemoryManager(byte* pointer, int length) { _pointer = pointer; _length = length; }

                public override Span<byte> GetSpan() => new Span<byte>(_pointer, _length);
                public override MemoryHandle Pin(int elementIndex = 0) => new MemoryHandle(_pointer + elementIndex);
                public override void Unpin() { }
                protected override void Dispose(bool disposing) { }
            }

            sealed class Channel
            {
                private MemoryHandle _first;
                private MemoryHandle _second;

                public void Attach(IPinnable pinnable, NativeMemoryManager manager)
                {
                    _first = {|#0:pinnable.Pin(0)|};
                    _second = {|#1:manager.Pin(16)|};
                }
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is stored in field '_first'"),
            Verify.Diagnostic("PIN3001").WithLocation(1).WithArguments("it is stored in field '_second'"));

    [Fact]
    public Task AddressStoredInFieldWhileHandleIsDropped()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            sealed unsafe class Registration
            {
                private IntPtr _address;

                public void Register(Memory<byte> memory)
                {
                    var handle = {|#0:memory.Pin()|};
                    _address = (IntPtr)handle.Pointer;
                }
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("its address is stored in field '_address'"));

    [Fact]
    public Task AddressPassedToRetainingCallWhileHandleIsKept()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;
            using System.Runtime.InteropServices;

            static unsafe class Rdma
            {
                [DllImport("ibverbs")] private static extern IntPtr ibv_reg_mr(IntPtr pd, void* addr, nuint length, int access);

                public static IntPtr Register(IntPtr pd, Memory<byte> memory)
                {
                    var handle = {|#0:memory.Pin()|};
                    return ibv_reg_mr(pd, handle.Pointer, (nuint)memory.Length, 1);
                }
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("its address is passed to 'ibv_reg_mr', which keeps it"));

    [Fact]
    public Task StoredByObjectInitializer()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            sealed class PendingWrite
            {
                public MemoryHandle Pin { get; init; }
                public int Length { get; init; }
            }

            static class Writer
            {
                public static PendingWrite Begin(ReadOnlyMemory<byte> data)
                    => new PendingWrite { Pin = {|#0:data.Pin()|}, Length = data.Length };
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is stored in property 'Pin'"));

    [Fact]
    public Task StoredInFieldInAsyncMethod()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;
            using System.IO;
            using System.Threading.Tasks;

            sealed class Pump
            {
                private MemoryHandle _pin;

                public async Task RunAsync(Stream stream, Memory<byte> buffer)
                {
                    _pin = {|#0:buffer.Pin()|};
                    await stream.ReadAsync(buffer);
                }
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is stored in field '_pin'"));

    [Fact]
    public Task WrapperMethodReturningAPin_TheCallerIsJudged()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            sealed class Segment
            {
                private readonly Memory<byte> _memory = new byte[256];

                // Not an IPinnable implementation: a helper that hands out a pin of its memory; its callers are judged.
                public MemoryHandle Pin() => _memory.Pin();

                public static unsafe void Peek(Segment segment)
                {
                    var pin = {|#0:segment.Pin()|};
                    Console.WriteLine((nint)pin.Pointer);
                }
            }
            """,
            Verify.Diagnostic("PIN3002").WithLocation(0).WithArguments("is never disposed (pinned by 'Pin')"));

    // ---- at most one of PIN1003/PIN3001/PIN3002 ----

    [Fact]
    public Task PinInLoopAddedToCollectionIsPIN1003Only()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;
            using System.Collections.Generic;

            sealed class Registry
            {
                private readonly List<MemoryHandle> _pins = new();

                public void RegisterAll(IEnumerable<Memory<byte>> regions)
                {
                    foreach (var region in regions)
                    {
                        _pins.Add({|PIN1003:region.Pin()|});
                    }
                }
            }
            """);

    [Fact]
    public Task PinInLoopReturnedIsPIN3001()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            static class Pins
            {
                public static MemoryHandle FirstNonEmpty(Memory<byte>[] candidates)
                {
                    foreach (var candidate in candidates)
                    {
                        if (!candidate.IsEmpty)
                        {
                            return {|#0:candidate.Pin()|};
                        }
                    }

                    return default;
                }
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is returned"));

    // ---- negatives ----

    [Fact]
    public Task UserPinMethodIsNotASite()
        => Verify.VerifyAsync("""
            using System.Buffers;

            sealed class Slab
            {
                public MemoryHandle Pin() => default;
            }

            sealed class Holder
            {
                private MemoryHandle _pin;

                public void Hold(Slab slab) => _pin = slab.Pin();
            }
            """);

    [Fact]
    public Task UserExtensionPinIsNotASite()
        => Verify.VerifyAsync("""
            using System.Buffers;

            static class SlabExtensions
            {
                public static MemoryHandle Pin(this byte[] array) => default;
                public static MemoryHandle Pin(this System.Memory<byte> memory, int offset) => default;
            }

            sealed class Holder
            {
                private MemoryHandle _first;
                private MemoryHandle _second;

                public void Hold(byte[] array, System.Memory<byte> memory)
                {
                    _first = array.Pin();
                    _second = memory.Pin(16);
                }
            }
            """);

    [Fact]
    public Task PinnedObjectHeapMemoryInReadonlyField()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;
            using System.Runtime.InteropServices;

            sealed class Receiver
            {
                private readonly Memory<byte> _buffer = MemoryMarshal.CreateFromPinnedArray(GC.AllocateArray<byte>(4096, pinned: true), 0, 4096);
                private readonly ReadOnlyMemory<byte> _header;
                private MemoryHandle _pin;
                private MemoryHandle _headerPin;

                public Receiver()
                {
                    _header = GC.AllocateUninitializedArray<byte>(64, pinned: true).AsMemory();
                }

                public void Start()
                {
                    _pin = _buffer.Pin();
                    _headerPin = _header.Pin();
                }
            }
            """);

    [Fact]
    public Task PinnedObjectHeapMemoryInLocals()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Registry
            {
                private readonly List<MemoryHandle> _pins = new();

                public MemoryHandle Register(int size)
                {
                    var array = GC.AllocateArray<byte>(size, pinned: true);
                    var memory = MemoryMarshal.CreateFromPinnedArray(array, 0, size);
                    var view = array.AsMemory(16);
                    _pins.Add(view.Pin());
                    _pins.Add(new Memory<byte>(array, 0, 8).Pin());
                    return memory.Slice(32).Pin();
                }
            }
            """);

    [Fact]
    public Task OrdinaryArrayBehindALocalIsStillReported()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            sealed class Registry
            {
                private MemoryHandle _pin;

                public void Register(int size, bool pinned)
                {
                    var array = GC.AllocateArray<byte>(size, pinned);
                    var view = array.AsMemory(16);
                    _pin = {|#0:view.Pin()|};
                }
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is stored in field '_pin'"));

    [Fact]
    public Task StoredInFieldButDisposedInFinally()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;
            using System.IO;

            sealed class Receiver
            {
                private MemoryHandle _pin;

                public int Receive(Stream stream, Memory<byte> buffer)
                {
                    _pin = buffer.Pin();
                    try
                    {
                        return stream.Read(buffer.Span);
                    }
                    finally
                    {
                        _pin.Dispose();
                    }
                }
            }
            """);

    [Fact]
    public Task HandlePassedToSynchronousCalls()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;
            using System.Runtime.InteropServices;

            static unsafe class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, void* buffer, nint count);

                private static void Log(MemoryHandle handle) => Console.WriteLine((IntPtr)handle.Pointer);

                public static void Send(int fd, ReadOnlyMemory<byte> payload)
                {
                    using var handle = payload.Pin();
                    Log(handle);
                    write(fd, handle.Pointer, payload.Length);
                }
            }
            """);

    [Fact]
    public Task PinImplementationReturningItsInnerPin()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            sealed class SlicedMemoryManager : MemoryManager<byte>
            {
                private readonly Memory<byte> _inner;

                public SlicedMemoryManager(Memory<byte> inner) => _inner = inner;

                public override Span<byte> GetSpan() => _inner.Span;
                public override MemoryHandle Pin(int elementIndex = 0) => _inner.Slice(elementIndex).Pin();
                public override void Unpin() { }
                protected override void Dispose(bool disposing) { }
            }

            sealed class PinnableView : IPinnable
            {
                private readonly IPinnable _inner;

                public PinnableView(IPinnable inner) => _inner = inner;

                MemoryHandle IPinnable.Pin(int elementIndex)
                {
                    var handle = _inner.Pin(elementIndex);
                    return handle;
                }

                void IPinnable.Unpin() => _inner.Unpin();
            }
            """);

    // ---- broken code ----

    [Fact]
    public Task HalfTypedPinDoesNotCrash()
        => Verify.VerifyNoCrashAsync("""
            using System;
            using System.Buffers;

            sealed class Receiver
            {
                private MemoryHandle _pin;

                public void Start(Memory<byte> buffer)
                {
                    _pin = buffer.Pin(
                }
            }
            """);

    [Fact]
    public Task PinOnUnknownTypeDoesNotCrash()
        => Verify.VerifyNoCrashAsync("""
            using System.Buffers;

            sealed class Receiver
            {
                private MemoryHandle _pin;
                private MemoryHandle? _maybe;

                public void Start(Missing buffer, System.Memory<byte> memory)
                {
                    _pin = buffer.Pin();
                    _maybe ??= memory.Pin(1, 2);
                    return memory.Pin()
                }
            }
            """);

    [Fact]
    public Task HeldByARefStructThatDisposesIt_NoDiagnostic()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            unsafe ref struct RespMemoryWriter
            {
                private MemoryHandle ptrHandle;
                private byte* ptr;
                private IMemoryOwner<byte> memory;

                public void Grow(int length)
                {
                    var newMemory = MemoryPool<byte>.Shared.Rent(length);
                    var newHandle = newMemory.Memory.Pin();
                    var newPtr = (byte*)newHandle.Pointer;
                    if (ptrHandle.Pointer != default)
                    {
                        ptrHandle.Dispose();
                        memory.Dispose();
                    }

                    ptrHandle = newHandle;
                    ptr = newPtr;
                    memory = newMemory;
                }

                public void Dispose()
                {
                    if (ptrHandle.Pointer != default)
                    {
                        ptrHandle.Dispose();
                    }
                }
            }
            """);

    [Fact]
    public Task HeldByARefStructThatNeverDisposesIt_OrByAClass_Reported()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;

            ref struct Forgetful
            {
                private MemoryHandle _pin;

                public void Keep(Memory<byte> memory) => _pin = {|#0:memory.Pin()|};
            }

            sealed class Writer : IDisposable
            {
                private MemoryHandle _pin;

                public void Keep(Memory<byte> memory) => _pin = {|#1:memory.Pin()|};

                public void Dispose() => _pin.Dispose();
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is stored in field '_pin'"),
            Verify.Diagnostic("PIN3001").WithLocation(1).WithArguments("it is stored in field '_pin'"));

    [Fact]
    public Task PassedToAHelperThatKeepsIt_Reported_AHelperThatDisposesIt_NoDiagnostic()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;
            using System.Collections.Generic;

            sealed class JobContext : IDisposable
            {
                private List<MemoryHandle> _pinnedMemory;

                private void AddPinnedData(MemoryHandle handle)
                {
                    _pinnedMemory ??= new List<MemoryHandle>();
                    _pinnedMemory.Add(handle);
                }

                private static void Release(MemoryHandle handle) => handle.Dispose();

                public unsafe void AddInput(ReadOnlyMemory<byte> data)
                {
                    var pinned = {|#0:data.Pin()|};
                    AddPinnedData(pinned);
                    Console.WriteLine((long)pinned.Pointer);
                }

                public unsafe void Peek(ReadOnlyMemory<byte> data)
                {
                    var pinned = data.Pin();
                    try
                    {
                        Console.WriteLine((long)pinned.Pointer);
                    }
                    finally
                    {
                        pinned.Dispose();
                    }
                }

                public void Dispose()
                {
                    foreach (var handle in _pinnedMemory ?? new List<MemoryHandle>())
                    {
                        handle.Dispose();
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN3001").WithLocation(0).WithArguments("it is passed to 'AddPinnedData', which keeps it"));
}
