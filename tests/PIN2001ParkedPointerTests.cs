using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.FixedPointerAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// A pointer parked in a struct for the native call (zstd's <c>ZSTD_inBuffer.src</c>, zlib's <c>z_stream.next_in</c>):
/// written inside the fixed statement to a member of a private struct field or of a <c>ref</c> struct parameter, and
/// never read after the statement — later uses read other members, or write the member again first. Not an escape.
/// Any later read of the member, a public method's parameter, a non-private field, or a caller that passes something
/// else than its own local: reported as before.
/// </summary>
public sealed class PIN2001ParkedPointerTests
{
    private const string Prelude = """
        using System;
        using System.Runtime.InteropServices;

        unsafe struct InBuffer { public void* src; public nuint size; public nuint pos; }
        unsafe struct OutBuffer { public void* dst; public nuint size; public nuint pos; }

        sealed class RetainsPointerAttribute : Attribute { }

        static unsafe class Native
        {
            [DllImport("zstd")] public static extern nuint compressStream(IntPtr ctx, ref OutBuffer output, ref InBuffer input);
            [RetainsPointer] public static void Submit(ref InBuffer input) { }
        }

        """;

    [Fact]
    public Task PointerParkedInFieldAndRefParameterIsNotAnEscape()
        => Verify.VerifyAsync(Prelude + """
            sealed unsafe class Compressor
            {
                private readonly IntPtr _ctx;
                private readonly byte[] _outputBuffer = new byte[4096];
                private OutBuffer output;

                public Compressor() => output = new OutBuffer { pos = 0, size = 4096 };

                public int Write(byte[] buffer)
                {
                    var input = new InBuffer { pos = 0, size = (nuint)buffer.Length };
                    int written = 0;
                    do
                    {
                        output.pos = 0;
                        CompressStream(ref input, buffer);
                        written += (int)output.pos;
                    }
                    while (input.pos < input.size);

                    return written;
                }

                private nuint CompressStream(ref InBuffer input, ReadOnlySpan<byte> inputBuffer)
                {
                    fixed (byte* inputPtr = inputBuffer)
                    fixed (byte* outputPtr = _outputBuffer)
                    {
                        input.src = inputPtr;
                        output.dst = outputPtr;
                        return Native.compressStream(_ctx, ref output, ref input);
                    }
                }
            }
            """);

    [Fact]
    public Task ParkedPointerReadLaterIsReported()
        => Verify.VerifyAsync(Prelude + """
            sealed unsafe class Compressor
            {
                private readonly IntPtr _ctx;
                private OutBuffer output;
                private OutBuffer shown;
                internal OutBuffer visible;

                public IntPtr LastOutput() => (IntPtr)output.dst;

                public void Show(byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        {|#0:output.dst = p|};
                        var input = new InBuffer();
                        Native.compressStream(_ctx, ref output, ref input);
                    }

                    fixed (byte* p = buffer)
                    {
                        {|#1:shown.dst = p|};
                        var input = new InBuffer();
                        Native.compressStream(_ctx, ref shown, ref input);
                    }

                    Keep(shown);

                    fixed (byte* p = buffer)
                    {
                        {|#2:visible.dst = p|};
                        var input = new InBuffer();
                        Native.compressStream(_ctx, ref visible, ref input);
                    }
                }

                private static void Keep(OutBuffer b) { }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("stored in field 'dst'"),
            Verify.Diagnostic("PIN2001").WithLocation(1).WithArguments("stored in field 'dst'"),
            Verify.Diagnostic("PIN2001").WithLocation(2).WithArguments("stored in field 'dst'"));

    [Fact]
    public Task RefParameterWhoseCallerReadsTheMemberIsReported()
        => Verify.VerifyAsync(Prelude + """
            sealed unsafe class Compressor
            {
                private readonly IntPtr _ctx;

                public IntPtr Caller(byte[] buffer)
                {
                    var input = new InBuffer();
                    Park(ref input, buffer);
                    return (IntPtr)input.src;
                }

                public void Public(ref InBuffer input, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        {|#1:input.src = p|};
                        var output = new OutBuffer();
                        Native.compressStream(_ctx, ref output, ref input);
                    }
                }

                private void Park(ref InBuffer input, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        {|#0:input.src = p|};
                        var output = new OutBuffer();
                        Native.compressStream(_ctx, ref output, ref input);
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("stored in field 'src'"),
            Verify.Diagnostic("PIN2001").WithLocation(1).WithArguments("stored in field 'src'"));

    [Fact]
    public Task ParkedStructHandedToRetainingCallIsStillReported()
        => Verify.VerifyAsync(Prelude + """
            sealed unsafe class Submitter
            {
                private InBuffer input;

                public void Send(byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        input.src = p;
                        Native.Submit({|#0:ref input|});
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN2002").WithLocation(0).WithArguments("Submit", ""));

    [Fact]
    public Task RereadAfterTheMemberIsWrittenAgainIsParked()
        => Verify.VerifyAsync(Prelude + """
            sealed unsafe class Decompressor
            {
                private readonly IntPtr _ctx;
                private InBuffer input;

                public void Step(byte[] a, byte[] b)
                {
                    fixed (byte* p = a)
                    {
                        input.src = p;
                        var output = new OutBuffer();
                        Native.compressStream(_ctx, ref output, ref input);
                    }

                    fixed (byte* q = b)
                    {
                        input.src = q;
                        var copy = input;
                        var output = new OutBuffer();
                        Native.compressStream(_ctx, ref output, ref copy);
                    }
                }
            }
            """);

    private const string SelfPointingPrelude = """
        using System;
        using System.Runtime.InteropServices;

        struct Cone { public float InnerAngle; }

        struct NativeEmitter { public Cone Cone; public IntPtr ConePointer; public float Scaler; }

        static unsafe class X3D
        {
            [DllImport("x3daudio")] public static extern void Calculate(NativeEmitter* emitter);
        }

        """;

    /// <summary>
    /// SharpDX's <c>Emitter.__MarshalTo(ref __Native @ref)</c>: <c>fixed (void* p = &amp;@ref.Cone) @ref.ConePointer = (IntPtr)p;</c>
    /// where every caller passes <c>ref</c> to a stack local of its own. The struct points into itself, in memory that
    /// never moves.
    /// </summary>
    [Fact]
    public Task StructPointingIntoItselfOnTheCallersStackIsNotAnEscape()
        => Verify.VerifyAsync(SelfPointingPrelude + """
            sealed unsafe class Emitter
            {
                public Cone? Cone;

                internal void MarshalTo(ref NativeEmitter native)
                {
                    native.Scaler = 1;
                    if (Cone is { } cone)
                    {
                        fixed (void* pCone = &native.Cone)
                            native.ConePointer = (IntPtr)pCone;
                        native.Cone = cone;
                    }
                }

                public void Calculate()
                {
                    var native = new NativeEmitter();
                    MarshalTo(ref native);
                    X3D.Calculate(&native);
                }
            }
            """);

    /// <summary>
    /// The same store is reported when the struct may live on the heap: a caller passing a field or an array element, a
    /// local captured by a lambda or living in an async method, or a public method whose callers are unknown.
    /// </summary>
    [Fact]
    public Task StructPointingIntoItselfOnTheHeapIsReported()
        => Verify.VerifyAsync(SelfPointingPrelude + """
            sealed class Emitter
            {
                private NativeEmitter _kept;
                private readonly NativeEmitter[] _all = new NativeEmitter[4];

                private unsafe void FromField(ref NativeEmitter native)
                {
                    fixed (void* pCone = &native.Cone)
                        {|#0:native.ConePointer = (IntPtr)pCone|};
                }

                private unsafe void FromElement(ref NativeEmitter native)
                {
                    fixed (void* pCone = &native.Cone)
                        {|#1:native.ConePointer = (IntPtr)pCone|};
                }

                private unsafe void FromCapturedLocal(ref NativeEmitter native)
                {
                    fixed (void* pCone = &native.Cone)
                        {|#2:native.ConePointer = (IntPtr)pCone|};
                }

                private unsafe void FromAsync(ref NativeEmitter native)
                {
                    fixed (void* pCone = &native.Cone)
                        {|#3:native.ConePointer = (IntPtr)pCone|};
                }

                public unsafe void Public(ref NativeEmitter native)
                {
                    fixed (void* pCone = &native.Cone)
                        {|#4:native.ConePointer = (IntPtr)pCone|};
                }

                public void Callers()
                {
                    FromField(ref _kept);
                    FromElement(ref _all[0]);
                    var captured = new NativeEmitter();
                    FromCapturedLocal(ref captured);
                    Action show = () => Console.WriteLine(captured.ConePointer);
                    show();
                }

                public async System.Threading.Tasks.Task CallAsync()
                {
                    var native = new NativeEmitter();
                    FromAsync(ref native);
                    await System.Threading.Tasks.Task.Yield();
                    Console.WriteLine(native.ConePointer);
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("stored in field 'ConePointer'"),
            Verify.Diagnostic("PIN2001").WithLocation(1).WithArguments("stored in field 'ConePointer'"),
            Verify.Diagnostic("PIN2001").WithLocation(2).WithArguments("stored in field 'ConePointer'"),
            Verify.Diagnostic("PIN2001").WithLocation(3).WithArguments("stored in field 'ConePointer'"),
            Verify.Diagnostic("PIN2001").WithLocation(4).WithArguments("stored in field 'ConePointer'"));
}
