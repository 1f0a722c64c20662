using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;
using VerifyMemory = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.MemoryHandleAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// The can-throw policy for source-defined members (DESIGN.md, "Every path"): auto-properties, <c>return field;</c> /
/// <c>=&gt; field</c> getters, readonly field loads and members whose bodies hold nothing that can throw (one level deep)
/// do not throw; a PIN1002/PIN3002 message names the member that really can.
/// </summary>
public sealed class PIN1002NonThrowingMembersTests
{
    private const string Device = """
        using System;
        using System.Runtime.InteropServices;

        sealed class GraphicsDevice
        {
            public void Submit(IntPtr data, int length) { Console.WriteLine(length); }
        }

        class Renderer
        {
            private readonly int _stride = 4;
            private int _count;
            private readonly int[] _sizes = new int[4];

            [DllImport("gl")] private static extern void glBufferData(int target, IntPtr size, IntPtr data, int usage);

            public GraphicsDevice Device { get; set; } = new GraphicsDevice();
            public int Count => _count;
            public int Stride { get { return _stride; } }
            public virtual int Usage { get; set; }
            public int First { get { return _sizes[0]; } }
            private int Bytes(int n) => n * _stride;
            private int Total(int n) { var bytes = n * _stride; _count += n; return bytes; }
            private int Checked(int n) => Math.Max(n, _stride);

            MEMBERS
        }
        """;

    private static string With(string members) => Device.Replace("MEMBERS", members);

    [Fact]
    public Task AutoPropertyReadBetweenAllocAndFreeDoesNotThrow()
        => Verify.VerifyAsync(With("""
            public void Upload(byte[] data)
            {
                var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                var device = Device;
                glBufferData(0x8892, (IntPtr)data.Length, handle.AddrOfPinnedObject(), 0x88E4);
                handle.Free();
            }
            """));

    [Fact]
    public Task ArrowAndReturnFieldGettersAndReadonlyFieldsDoNotThrow()
        => Verify.VerifyAsync(With("""
            public void Upload(byte[] data)
            {
                var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                var size = Count * Stride + _stride;
                glBufferData(0x8892, (IntPtr)size, handle.AddrOfPinnedObject(), 0x88E4);
                handle.Free();
            }
            """));

    [Fact]
    public Task SourceMethodsWithNothingThatThrowsDoNotThrow()
        => Verify.VerifyAsync(With("""
            public void Upload(byte[] data)
            {
                var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                glBufferData(0x8892, (IntPtr)Bytes(data.Length), handle.AddrOfPinnedObject(), Total(1));
                handle.Free();
            }
            """));

    [Fact]
    public Task MessageNamesTheCallThatThrowsNotTheAutoPropertyOnTheWay()
        => Verify.VerifyAsync(With("""
            public void Upload(byte[] data)
            {
                var handle = {|#0:GCHandle.Alloc(data, GCHandleType.Pinned)|};
                Device.Submit(handle.AddrOfPinnedObject(), data.Length);
                handle.Free();
            }
            """),
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'Submit' throws"));

    [Fact]
    public Task SourceMethodThatCallsOutCanThrow_OneLevelOnly()
        => Verify.VerifyAsync(With("""
            public void Upload(byte[] data)
            {
                var handle = {|#0:GCHandle.Alloc(data, GCHandleType.Pinned)|};
                var n = Checked(data.Length);
                glBufferData(0x8892, (IntPtr)n, handle.AddrOfPinnedObject(), 0x88E4);
                handle.Free();
            }
            """),
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'Checked' throws"));

    [Fact]
    public Task GetterThatIndexesAnArrayCanThrow()
        => Verify.VerifyAsync(With("""
            public void Upload(byte[] data)
            {
                var handle = {|#0:GCHandle.Alloc(data, GCHandleType.Pinned)|};
                var n = First;
                glBufferData(0x8892, (IntPtr)n, handle.AddrOfPinnedObject(), 0x88E4);
                handle.Free();
            }
            """),
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'First' throws"));

    [Fact]
    public Task VirtualAutoPropertyCanThrow_AnOverrideMayRunAnything()
        => Verify.VerifyAsync(With("""
            public void Upload(byte[] data)
            {
                var handle = {|#0:GCHandle.Alloc(data, GCHandleType.Pinned)|};
                glBufferData(0x8892, (IntPtr)data.Length, handle.AddrOfPinnedObject(), Usage);
                handle.Free();
            }
            """),
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'Usage' throws"));

    [Fact]
    public Task TrivialReadsNextToAMissingReleaseOnOnePathStillReport()
        => Verify.VerifyAsync(With("""
            public void Upload(byte[] data, bool skip)
            {
                var handle = {|#0:GCHandle.Alloc(data, GCHandleType.Pinned)|};
                var device = Device;
                if (skip)
                {
                    return;
                }

                glBufferData(0x8892, (IntPtr)(Count * Stride), handle.AddrOfPinnedObject(), 0x88E4);
                handle.Free();
            }
            """),
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is not freed on every path"));

    [Fact]
    public Task LibraryPropertiesStillThrow()
        => Verify.VerifyAsync("""
            using System.IO;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static long Measure(Stream source, byte[] buffer)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    var length = source.Position;
                    handle.Free();
                    return length;
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'Position' throws"));

    [Fact]
    public Task MemoryHandle_AutoPropertyBetweenPinAndDisposeDoesNotThrow()
        => VerifyMemory.VerifyAsync("""
            using System;
            using System.Buffers;
            using System.Runtime.InteropServices;

            unsafe sealed class Uploader
            {
                [DllImport("gl")] private static extern void glBufferData(int target, IntPtr size, void* data, int usage);

                public int Usage { get; set; } = 0x88E4;

                public void Upload(Memory<byte> data)
                {
                    var pin = data.Pin();
                    glBufferData(0x8892, (IntPtr)data.Length, pin.Pointer, Usage);
                    pin.Dispose();
                }
            }
            """);

    [Fact]
    public Task MemoryHandle_MessageNamesTheThrowingCall()
        => VerifyMemory.VerifyAsync("""
            using System;
            using System.Buffers;

            unsafe sealed class Device { public void Submit(void* p) { Console.WriteLine((nint)p); } }

            unsafe sealed class Uploader
            {
                public Device Device { get; } = new Device();

                public void Upload(Memory<byte> data)
                {
                    var pin = {|#0:data.Pin()|};
                    Device.Submit(pin.Pointer);
                    pin.Dispose();
                }
            }
            """,
            VerifyMemory.Diagnostic("PIN3002").WithLocation(0).WithArguments("may leak if 'Submit' throws"));
    private const string Buffers = """
        using System;
        using System.Runtime.CompilerServices;
        using System.Runtime.InteropServices;

        static class MarshalHelper
        {
            internal static int SizeOf<T>() => Marshal.SizeOf<T>();
            internal static int SizeOfType<T>() { return Marshal.SizeOf(typeof(T)); }
            internal static int SizeOfValue<T>(T value) => Marshal.SizeOf(value!);
        }

        class IndexBuffer
        {
            [DllImport("fna3d")] private static extern void SetIndexBufferData(IntPtr data, int length);

            MEMBERS
        }
        """;

    [Fact]
    public Task LayoutQueriesBetweenAllocAndFreeDoNotThrow()
        => Verify.VerifyAsync(Buffers.Replace("MEMBERS", """
            public void SetData<T>(T[] data, int start, int count) where T : struct
            {
                var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                SetIndexBufferData(handle.AddrOfPinnedObject() + start * Marshal.SizeOf<T>(), count * Marshal.SizeOf(typeof(T)) + Unsafe.SizeOf<T>());
                handle.Free();
            }
            """));

    [Fact]
    public Task HelpersThatOnlyQueryLayoutDoNotThrow()
        => Verify.VerifyAsync(Buffers.Replace("MEMBERS", """
            public void SetData<T>(T[] data, int start, int count) where T : struct
            {
                var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                SetIndexBufferData(handle.AddrOfPinnedObject() + start * MarshalHelper.SizeOf<T>(), count * MarshalHelper.SizeOfType<T>());
                handle.Free();
            }
            """));

    [Fact]
    public Task SizeOfAnInstanceCanThrow_NextToLayoutQueries()
        => Verify.VerifyAsync(Buffers.Replace("MEMBERS", """
            public void SetData<T>(T[] data, int start, int count) where T : struct
            {
                var handle = {|#0:GCHandle.Alloc(data, GCHandleType.Pinned)|};
                SetIndexBufferData(handle.AddrOfPinnedObject() + start * MarshalHelper.SizeOf<T>(), count * MarshalHelper.SizeOfValue(data[0]));
                handle.Free();
            }

            public void SetDataDirect<T>(T[] data, object sample) where T : struct
            {
                var handle = {|#1:GCHandle.Alloc(data, GCHandleType.Pinned)|};
                SetIndexBufferData(handle.AddrOfPinnedObject(), Marshal.SizeOf<T>() * Marshal.SizeOf(sample));
                handle.Free();
            }
            """),
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'SizeOfValue' throws"),
            Verify.Diagnostic("PIN1002").WithLocation(1).WithArguments("may leak if 'SizeOf' throws"));

    [Fact]
    public Task LayoutQueriesNextToAMissingReleaseOnOnePathStillReport()
        => Verify.VerifyAsync(Buffers.Replace("MEMBERS", """
            public void SetData<T>(T[] data, int count) where T : struct
            {
                var handle = {|#0:GCHandle.Alloc(data, GCHandleType.Pinned)|};
                if (count * Marshal.SizeOf<T>() == 0)
                {
                    return;
                }

                SetIndexBufferData(handle.AddrOfPinnedObject(), count * Marshal.SizeOf<T>());
                handle.Free();
            }
            """),
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is not freed on every path"));

    [Fact]
    public Task DisposingSomethingElseDoesNotThrow_ButACloseCallStillDoes()
        => Verify.VerifyAsync(With("""
            public void Upload(byte[] data, IDisposable previous, System.IO.Stream log)
            {
                var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                previous.Dispose();
                glBufferData(0x8892, (IntPtr)data.Length, handle.AddrOfPinnedObject(), 0x88E4);
                handle.Free();
            }

            public void Flush(byte[] data, System.IO.Stream log)
            {
                var handle = {|#0:GCHandle.Alloc(data, GCHandleType.Pinned)|};
                log.Close();
                glBufferData(0x8892, (IntPtr)data.Length, handle.AddrOfPinnedObject(), 0x88E4);
                handle.Free();
            }
            """),
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'Close' throws"));

    [Fact]
    public Task AssertsWideningCastsWholeArrayViewsAndLoopBoundedIndexesDoNotThrow()
        => Verify.VerifyAsync("""
            using System;
            using System.Buffers;
            using System.Diagnostics;
            using System.Runtime.InteropServices;

            static class Vectors
            {
                [DllImport("diskann")] private static extern void insert(IntPtr data, int length);

                public static void Insert(ReadOnlySpan<byte> provided)
                {
                    var asFloats = MemoryMarshal.Cast<byte, float>(provided);
                    var count = asFloats.Length;
                    var copy = ArrayPool<byte>.Shared.Rent(count);
                    var pin = GCHandle.Alloc(copy, GCHandleType.Pinned);
                    Debug.Assert(pin.AddrOfPinnedObject() % 4 == 0, "aligned");
                    var view = copy.AsSpan();
                    for (var i = 0; i < count; i++)
                    {
                        copy[i] = (byte)asFloats[i];
                    }

                    for (var i = 0; i < view.Length; i++)
                    {
                        view[i] ^= 1;
                    }

                    insert(pin.AddrOfPinnedObject(), count);
                    pin.Free();
                    ArrayPool<byte>.Shared.Return(copy);
                }

                public static void Unbounded(ReadOnlySpan<float> provided, int count)
                {
                    var copy = new byte[count];
                    var pin = {|#0:GCHandle.Alloc(copy, GCHandleType.Pinned)|};
                    for (var i = 0; i < count; i++)
                    {
                        copy[i] = (byte)provided[i];
                    }

                    insert(pin.AddrOfPinnedObject(), count);
                    pin.Free();
                }

                public static void Narrowing(ReadOnlySpan<float> provided)
                {
                    var copy = new byte[provided.Length];
                    var pin = {|#1:GCHandle.Alloc(copy, GCHandleType.Pinned)|};
                    var asBytes = MemoryMarshal.Cast<float, byte>(provided);
                    insert(pin.AddrOfPinnedObject(), asBytes.Length);
                    pin.Free();
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'this[]' throws"),
            Verify.Diagnostic("PIN1002").WithLocation(1).WithArguments("may leak if 'Cast' throws"));

    [Fact]
    public Task CachedSizeThroughAParameterlessHelper_DoesNotThrow_ButALeafThatCallsOnStillDoes()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static partial class ReflectionHelpers
            {
                internal static class SizeOf<T>
                {
                    static int _sizeOf;

                    static SizeOf() => _sizeOf = Marshal.SizeOf<T>();

                    public static int Get() { return _sizeOf; }
                }

                internal static class Checked<T>
                {
                    public static int Get() => Validate(Marshal.SizeOf<T>());

                    private static int Validate(int size) => size > 0 ? size : throw new InvalidOperationException();
                }

                public static int FastSizeOf<T>() => SizeOf<T>.Get();

                public static int CheckedSizeOf<T>() => Checked<T>.Get();
            }

            sealed class Texture
            {
                [DllImport("mgg")] private static extern void Texture_SetData(IntPtr data, int length);

                public void SetData<T>(T[] data, int count) where T : struct
                {
                    var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                    var size = ReflectionHelpers.FastSizeOf<T>();
                    Texture_SetData(handle.AddrOfPinnedObject(), size * count);
                    handle.Free();
                }

                public void SetChecked<T>(T[] data, int count) where T : struct
                {
                    var handle = {|#0:GCHandle.Alloc(data, GCHandleType.Pinned)|};
                    var size = ReflectionHelpers.CheckedSizeOf<T>();
                    Texture_SetData(handle.AddrOfPinnedObject(), size * count);
                    handle.Free();
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'CheckedSizeOf' throws"));

    /// <summary>
    /// managedCuda's <c>GetScrambleConstants32</c>: <c>Marshal.Copy</c> from a fresh local array into the pin's own address,
    /// from index 0, no more than the array holds, passes every check it makes. Any other copy may still throw.
    /// </summary>
    [Fact]
    public Task MarshalCopyBetweenAFreshArrayAndThePinsAddress_DoesNotThrow_ButOtherCopiesStillDo()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Constants
            {
                private const int MaxDimensions = 20000;

                public static uint[] Scramble(IntPtr native, int[] given, int start)
                {
                    int[] signed = new int[MaxDimensions];
                    uint[] unsigned = new uint[MaxDimensions];
                    Marshal.Copy(native, signed, 0, MaxDimensions);

                    GCHandle handle = GCHandle.Alloc(unsigned, GCHandleType.Pinned);
                    Marshal.Copy(signed, 0, handle.AddrOfPinnedObject(), MaxDimensions);
                    Marshal.Copy(signed, 0, handle.AddrOfPinnedObject(), signed.Length);
                    handle.Free();
                    return unsigned;
                }

                public static uint[] Unchecked(IntPtr native, int[] given, int start)
                {
                    int[] small = new int[16];
                    uint[] unsigned = new uint[MaxDimensions];
                    GCHandle first = {|#0:GCHandle.Alloc(unsigned, GCHandleType.Pinned)|};
                    Marshal.Copy(small, 0, first.AddrOfPinnedObject(), MaxDimensions);
                    first.Free();

                    GCHandle second = {|#1:GCHandle.Alloc(unsigned, GCHandleType.Pinned)|};
                    Marshal.Copy(given, 0, second.AddrOfPinnedObject(), 16);
                    second.Free();

                    GCHandle third = {|#2:GCHandle.Alloc(unsigned, GCHandleType.Pinned)|};
                    Marshal.Copy(small, start, third.AddrOfPinnedObject(), 4);
                    third.Free();

                    GCHandle fourth = {|#3:GCHandle.Alloc(unsigned, GCHandleType.Pinned)|};
                    Marshal.Copy(small, 0, native, 4);
                    fourth.Free();
                    return unsigned;
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'Copy' throws"),
            Verify.Diagnostic("PIN1002").WithLocation(1).WithArguments("may leak if 'Copy' throws"),
            Verify.Diagnostic("PIN1002").WithLocation(2).WithArguments("may leak if 'Copy' throws"),
            Verify.Diagnostic("PIN1002").WithLocation(3).WithArguments("may leak if 'Copy' throws"));

    /// <summary>
    /// A span <c>stackalloc</c>'d with the loop's own bound (<c>stackalloc IntPtr[rows.Length]</c>, <c>i &lt; rows.Length</c>,
    /// OpenTK's window icon) is indexed in range: <c>span[i]</c> does not throw. A span of another length still does.
    /// </summary>
    [Fact]
    public Task SpanSizedByTheLoopBound_DoesNotThrow_OtherSizesStillDo()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static unsafe class Rows
            {
                [DllImport("blas")] private static extern void gemm(IntPtr matrix, IntPtr* offsets, int count);

                public static void Multiply(float[] matrix, int[] rows)
                {
                    var pin = GCHandle.Alloc(matrix, GCHandleType.Pinned);
                    Span<IntPtr> starts = stackalloc IntPtr[rows.Length];
                    for (var i = 0; i < rows.Length; i++)
                    {
                        starts[i] = (IntPtr)(rows[i] * sizeof(float));
                    }

                    fixed (IntPtr* p = starts)
                    {
                        gemm(pin.AddrOfPinnedObject(), p, rows.Length);
                    }

                    pin.Free();
                }

                public static void Shorter(float[] matrix, int[] rows, int count)
                {
                    var pin = {|#0:GCHandle.Alloc(matrix, GCHandleType.Pinned)|};
                    Span<IntPtr> starts = stackalloc IntPtr[count];
                    for (var i = 0; i < rows.Length; i++)
                    {
                        starts[i] = (IntPtr)(rows[i] * sizeof(float));
                    }

                    fixed (IntPtr* p = starts)
                    {
                        gemm(pin.AddrOfPinnedObject(), p, rows.Length);
                    }

                    pin.Free();
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'this[]' throws"));
}
