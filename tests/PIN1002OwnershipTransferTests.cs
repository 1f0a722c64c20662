using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;
using VerifyMemory = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.MemoryHandleAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// Pins handed to an object that takes them over (Garnet's vector and object-log code), and handles held in a
/// <c>GCHandle?</c>. The hand-over is the release on its path; a path that misses it is still reported.
/// </summary>
public sealed class PIN1002OwnershipTransferTests
{
    private const string Owners = """
        readonly ref struct PreparedVectorData
        {
            private readonly GCHandle pin;
            private readonly byte[] rentedArray;

            internal PreparedVectorData(GCHandle pin, byte[] data)
            {
                this.pin = pin;
                rentedArray = data;
            }

            public void Dispose()
            {
                if (rentedArray != null)
                {
                    pin.Free();
                    ArrayPool<byte>.Shared.Return(rentedArray);
                }
            }
        }

        sealed class WriteContext
        {
            private GCHandle _handle;

            internal WriteContext(object callback, GCHandle handle)
            {
                _handle = handle;
            }

            internal void Completed() => _handle.Free();
        }

        sealed class Keeper
        {
            private GCHandle _handle;

            internal Keeper(GCHandle handle) => _handle = handle;

            internal nint Address => _handle.AddrOfPinnedObject();
        }

        sealed class Buffers
        {
            internal WriteContext CreateContext(GCHandle handle) => new(this, handle);
        }
        """;

    [Fact]
    public Task HandedToAnObjectThatFreesIt_NoDiagnostic()
        => Verify.VerifyAsync($$"""
            using System;
            using System.Buffers;
            using System.Runtime.InteropServices;

            {{Owners}}

            static class Vectors
            {
                static PreparedVectorData Prepare(ReadOnlySpan<byte> provided)
                {
                    var copy = ArrayPool<byte>.Shared.Rent(provided.Length);
                    var pin = GCHandle.Alloc(copy, GCHandleType.Pinned);
                    return new(pin, copy);
                }

                static void Use(byte[] data)
                {
                    var pin = GCHandle.Alloc(data, GCHandleType.Pinned);
                    using var prepared = new PreparedVectorData(pin, data);
                }

                static WriteContext Write(Buffers buffers, byte[] data, bool direct)
                {
                    var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                    return direct ? new WriteContext(null, handle) : buffers.CreateContext(handle);
                }
            }
            """);

    [Fact]
    public Task ObjectThatNeverFreesIt_OrAPathThatMissesTheHandOver_Reported()
        => Verify.VerifyAsync($$"""
            using System;
            using System.Buffers;
            using System.Runtime.InteropServices;

            {{Owners}}

            static class Vectors
            {
                static Keeper Keep(byte[] data)
                {
                    var handle = {|PIN1002:GCHandle.Alloc(data, GCHandleType.Pinned)|};
                    return new Keeper(handle);
                }

                static WriteContext Write(byte[] data, bool fail)
                {
                    var handle = {|PIN1002:GCHandle.Alloc(data, GCHandleType.Pinned)|};
                    if (fail)
                    {
                        return null;
                    }

                    return new WriteContext(null, handle);
                }
            }
            """);

    [Fact]
    public Task NullableHolderFreedThroughConditionalAccessOrValue_NoDiagnostic()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            unsafe static class Search
            {
                [DllImport("diskann")] private static extern int search(nint ids);

                public static int Run(byte[] ids, bool managed)
                {
                    GCHandle? handle = null;
                    try
                    {
                        if (managed)
                        {
                            handle = GCHandle.Alloc(ids, GCHandleType.Pinned);
                        }

                        return search(handle?.AddrOfPinnedObject() ?? 0);
                    }
                    finally
                    {
                        handle?.Free();
                    }
                }

                public static int Guarded(byte[] ids)
                {
                    GCHandle? handle = null;
                    try
                    {
                        handle = GCHandle.Alloc(ids, GCHandleType.Pinned);
                        return search(handle.Value.AddrOfPinnedObject());
                    }
                    finally
                    {
                        if (handle.HasValue)
                        {
                            handle.Value.Free();
                        }
                    }
                }
            }
            """);

    [Fact]
    public Task NullableHolderFreedOnlyOnTheNormalPath_Reported()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            unsafe static class Search
            {
                [DllImport("diskann")] private static extern int search(nint ids);

                private static void Validate(byte[] ids)
                {
                    if (ids.Length == 0) throw new System.ArgumentException("empty");
                }

                public static int Run(byte[] ids)
                {
                    GCHandle? handle = {|PIN1002:GCHandle.Alloc(ids, GCHandleType.Pinned)|};
                    Validate(ids);
                    var found = search(handle.Value.AddrOfPinnedObject());
                    handle?.Free();
                    return found;
                }
            }
            """);

    [Fact]
    public Task PinOfAMemoryManagerPinImplementation_TheCallerIsJudged()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;
            using System.Runtime.InteropServices;

            sealed unsafe class ManagedBuffer : MemoryManager<byte>
            {
                private readonly byte[] _data = new byte[64];
                private GCHandle _pinHandle;
                private GCHandle _leaked;

                public override Span<byte> GetSpan() => _data;

                public override MemoryHandle Pin(int elementIndex = 0)
                {
                    if (!_pinHandle.IsAllocated)
                    {
                        _pinHandle = GCHandle.Alloc(_data, GCHandleType.Pinned);
                    }

                    _leaked = {|#0:GCHandle.Alloc(_data, GCHandleType.Pinned)|};
                    return new MemoryHandle((byte*)_pinHandle.AddrOfPinnedObject() + elementIndex, pinnable: this);
                }

                public override void Unpin()
                {
                    if (_pinHandle.IsAllocated)
                    {
                        _pinHandle.Free();
                    }
                }

                protected override void Dispose(bool disposing) => Unpin();
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in field '_leaked'"));

    [Fact]
    public Task OwnerOnlyEverCreatedByUsing_StillReported()
        // The owner's own Alloc keeps its PIN1001 however its users scope it (DESIGN: pins made by helpers): a using
        // block may last as long as the program (the sample's AudioRingBuffer in Main), and `using` and
        // try/finally Dispose mean the same.
        => Verify.VerifyAsync(
            ScopedOwners("using var set = new HistogramSet(data);", "using (new PinnedBlock(data)) { }")
                .Replace("_handle = GCHandle.Alloc(data, GCHandleType.Pinned); // set", "_handle = {|#0:GCHandle.Alloc(data, GCHandleType.Pinned)|}; // set")
                .Replace("_handle = GCHandle.Alloc(data, GCHandleType.Pinned);\n", "_handle = {|#1:GCHandle.Alloc(data, GCHandleType.Pinned)|};\n"),
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in field '_handle'"),
            Verify.Diagnostic("PIN1001").WithLocation(1).WithArguments("it is stored in field '_handle'"));

    private static string ScopedOwners(string first, string second) => $$"""
        using System;
        using System.Runtime.InteropServices;

        internal sealed class HistogramSet : IDisposable
        {
            private GCHandle _handle;

            public HistogramSet(byte[] data) => _handle = GCHandle.Alloc(data, GCHandleType.Pinned); // set

            public void Dispose() => _handle.Free();
        }

        internal readonly struct PinnedBlock : IDisposable
        {
            private readonly GCHandle _handle;

            public PinnedBlock(byte[] data) => _handle = GCHandle.Alloc(data, GCHandleType.Pinned);

            public void Dispose() => _handle.Free();
        }

        static class Encoder
        {
            public static void Encode(byte[] data)
            {
                {{first}}
                {{second}}
            }
        }
        """;

    [Fact]
    public Task MemoryHandleHandedByRefToAConstructorThatKeepsAndDisposesIt_NoDiagnostic()
        => VerifyMemory.VerifyAsync("""
            using System;
            using System.Buffers;

            sealed unsafe class OwnedHistogram : IDisposable
            {
                private MemoryHandle _bufferHandle;
                private readonly uint* _buffer;

                private OwnedHistogram(ref MemoryHandle bufferHandle, uint* buffer)
                {
                    _bufferHandle = bufferHandle;
                    _buffer = buffer;
                }

                public static OwnedHistogram Create(Memory<uint> memory)
                {
                    MemoryHandle handle = memory.Pin();
                    return new OwnedHistogram(ref handle, (uint*)handle.Pointer);
                }

                public static OwnedHistogram Leaky(Memory<uint> memory, bool fail)
                {
                    MemoryHandle handle = {|PIN3002:memory.Pin()|};
                    if (fail)
                    {
                        return null;
                    }

                    return new OwnedHistogram(ref handle, (uint*)handle.Pointer);
                }

                public void Dispose() => _bufferHandle.Dispose();
            }
            """);

    [Fact]
    public Task BenchmarkSetupPinReleasedByItsCleanup_NoDiagnostic_WithoutTheCleanup_Reported()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            [AttributeUsage(AttributeTargets.Method)] sealed class GlobalSetupAttribute : Attribute { }
            [AttributeUsage(AttributeTargets.Method)] sealed class GlobalCleanupAttribute : Attribute { }

            unsafe class CopyBenchmark
            {
                private readonly float[] _buffer = new float[64];
                private readonly float[] _other = new float[64];
                private GCHandle _bufferHandle;
                private GCHandle _otherHandle;
                private float* _bufferPtr;

                [GlobalSetup]
                public void Setup()
                {
                    _bufferHandle = GCHandle.Alloc(_buffer, GCHandleType.Pinned);
                    _bufferPtr = (float*)_bufferHandle.AddrOfPinnedObject();
                    _otherHandle = {|#0:GCHandle.Alloc(_other, GCHandleType.Pinned)|};
                }

                [GlobalCleanup]
                public void Cleanup()
                {
                    _bufferPtr = null;
                    _bufferHandle.Free();
                }

                public void Run() => _bufferPtr[0] = 1;

                public void NotASetup() => _bufferHandle = {|#1:GCHandle.Alloc(_buffer, GCHandleType.Pinned)|};
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in field '_otherHandle'"),
            Verify.Diagnostic("PIN1001").WithLocation(1).WithArguments("it is stored in field '_bufferHandle'"));

    /// <summary>
    /// NAudio's <c>AsioCallbackBenchmarks</c>: the setup pins one buffer per channel into slots of an array field, and the
    /// cleanup frees them element-wise (<c>handles[c].Free()</c> or <c>foreach (var h in handles) h.Free()</c>). The pins
    /// live for the run. A slot array the cleanup does not free is still PIN1003.
    /// </summary>
    [Fact]
    public Task BenchmarkSetupPinsInSlotsReleasedElementWiseByItsCleanup_NoDiagnostic_OtherwisePIN1003()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            [AttributeUsage(AttributeTargets.Method)] sealed class GlobalSetupAttribute : Attribute { }
            [AttributeUsage(AttributeTargets.Method)] sealed class GlobalCleanupAttribute : Attribute { }

            class AsioBenchmark
            {
                public int Channels = 2;
                private byte[][] _input = null!;
                private GCHandle[] _inputHandles = null!;
                private GCHandle[] _outputHandles = null!;
                private GCHandle[] _leakedHandles = null!;
                private nint[] _pointers = null!;

                [GlobalSetup]
                public void Setup()
                {
                    _input = new byte[Channels][];
                    _inputHandles = new GCHandle[Channels];
                    _outputHandles = new GCHandle[Channels];
                    _leakedHandles = new GCHandle[Channels];
                    _pointers = new nint[Channels];
                    for (int c = 0; c < Channels; c++)
                    {
                        _input[c] = new byte[256];
                        _inputHandles[c] = GCHandle.Alloc(_input[c], GCHandleType.Pinned);
                        _outputHandles[c] = GCHandle.Alloc(new byte[256], GCHandleType.Pinned);
                        _leakedHandles[c] = {|#0:GCHandle.Alloc(new byte[256], GCHandleType.Pinned)|};
                        _pointers[c] = _inputHandles[c].AddrOfPinnedObject();
                    }
                }

                [GlobalCleanup]
                public void Cleanup()
                {
                    for (int c = 0; c < Channels; c++)
                    {
                        if (_inputHandles[c].IsAllocated) _inputHandles[c].Free();
                    }

                    foreach (var handle in _outputHandles)
                    {
                        handle.Free();
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1003").WithLocation(0).WithArguments("stored in an array element"));

    [Fact]
    public Task GCHandleGivenToTheMemoryHandleItPins_NoDiagnostic_OnlyItsAddress_NeverFreed()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;
            using System.Runtime.InteropServices;

            sealed unsafe class BlockBuffer : MemoryManager<byte>
            {
                private readonly byte[] _array = new byte[64];

                public override Span<byte> GetSpan() => _array;

                public override MemoryHandle Pin(int elementIndex = 0)
                {
                    GCHandle handle = GCHandle.Alloc(_array, GCHandleType.Pinned);
                    byte* ptr = (byte*)handle.AddrOfPinnedObject();
                    return new MemoryHandle(ptr + elementIndex, handle);
                }

                public MemoryHandle PinLeaky()
                {
                    GCHandle handle = {|#0:GCHandle.Alloc(_array, GCHandleType.Pinned)|};
                    return new MemoryHandle((byte*)handle.AddrOfPinnedObject());
                }

                public override void Unpin() { }

                protected override void Dispose(bool disposing) { }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is never freed"));
}
