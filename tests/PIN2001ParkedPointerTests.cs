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
}
