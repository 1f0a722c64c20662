using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.MappedViewAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>PIN4002: a local AcquirePointer without ReleasePointer on every path, exceptional paths included.</summary>
public sealed class PIN4002ViewPointerNotReleasedTests
{
    private static string Method(string body, string parameters = "MemoryMappedFile file") => $$"""
        using System;
        using System.IO;
        using System.IO.MemoryMappedFiles;
        using System.Runtime.InteropServices;

        static unsafe class Reader
        {
            [DllImport("libc")] private static extern IntPtr write(int fd, byte* buffer, UIntPtr count);

            private static int Parse(byte* p) => *p;

            public static int Read({{parameters}})
            {
                {{body}}
            }
        }
        """;

    private static Microsoft.CodeAnalysis.Testing.DiagnosticResult At0(string leak)
        => Verify.Diagnostic("PIN4002").WithLocation(0).WithArguments(leak);

    [Fact]
    public Task NeverReleased()
        => Verify.VerifyAsync(Method("""
            using var view = file.CreateViewAccessor();
                    byte* p = null;
                    {|#0:view.SafeMemoryMappedViewHandle.AcquirePointer(ref p)|};
                    return Parse(p);
            """), At0("is never released"));

    [Fact]
    public Task ThrowingCallBeforeRelease()
        => Verify.VerifyAsync(Method("""
            using var view = file.CreateViewAccessor();
                    byte* p = null;
                    {|#0:view.SafeMemoryMappedViewHandle.AcquirePointer(ref p)|};
                    var value = Parse(p);
                    view.SafeMemoryMappedViewHandle.ReleasePointer();
                    return value;
            """), At0("may leak if 'Parse' throws"));

    [Fact]
    public Task ReleasedInFinally_NotReported()
        => Verify.VerifyAsync(Method("""
            using var view = file.CreateViewAccessor();
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    try
                    {
                        return Parse(p);
                    }
                    finally
                    {
                        view.SafeMemoryMappedViewHandle.ReleasePointer();
                    }
            """));

    [Fact]
    public Task OnlyPInvokeAndOffsetBeforeRelease_NotReported()
        => Verify.VerifyAsync(Method("""
            using var view = file.CreateViewAccessor();
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    p += view.PointerOffset;
                    write(1, p, (UIntPtr)view.SafeMemoryMappedViewHandle.ByteLength);
                    view.SafeMemoryMappedViewHandle.ReleasePointer();
                    return 0;
            """));

    [Fact]
    public Task EarlyReturnSkipsTheRelease()
        => Verify.VerifyAsync(Method("""
            using var view = file.CreateViewAccessor();
                    byte* p = null;
                    {|#0:view.SafeMemoryMappedViewHandle.AcquirePointer(ref p)|};
                    if (p[0] == 0)
                    {
                        return -1;
                    }

                    view.SafeMemoryMappedViewHandle.ReleasePointer();
                    return 0;
            """), At0("is not released on every path"));

    [Fact]
    public Task ExplicitThrow()
        => Verify.VerifyAsync(Method("""
            using var view = file.CreateViewAccessor();
                    byte* p = null;
                    {|#0:view.SafeMemoryMappedViewHandle.AcquirePointer(ref p)|};
                    if (p[0] == 0)
                    {
                        throw new InvalidDataException();
                    }

                    view.SafeMemoryMappedViewHandle.ReleasePointer();
                    return 0;
            """), At0("is not released when the method throws"));

    [Fact]
    public Task HandleInALocal_ReleasedThroughTheView()
        => Verify.VerifyAsync(Method("""
            using var view = file.CreateViewAccessor();
                    var handle = view.SafeMemoryMappedViewHandle;
                    byte* p = null;
                    handle.AcquirePointer(ref p);
                    try { return Parse(p); }
                    finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
            """));

    [Fact]
    public Task HandleInALocal_NeverReleased()
        => Verify.VerifyAsync(Method("""
            using var view = file.CreateViewStream();
                    var handle = view.SafeMemoryMappedViewHandle;
                    byte* p = null;
                    {|#0:handle.AcquirePointer(ref p)|};
                    return Parse(p);
            """), At0("is never released"));

    [Fact]
    public Task ViewParameter_Reported()
        => Verify.VerifyAsync(Method("""
            byte* p = null;
                    {|#0:view.SafeMemoryMappedViewHandle.AcquirePointer(ref p)|};
                    return Parse(p);
            """, "MemoryMappedViewAccessor view"), At0("is never released"));

    [Fact]
    public Task ReleaseOfAnotherView_DoesNotCount()
        => Verify.VerifyAsync(Method("""
            using var view = file.CreateViewAccessor();
                    using var other = file.CreateViewAccessor();
                    byte* p = null;
                    {|#0:view.SafeMemoryMappedViewHandle.AcquirePointer(ref p)|};
                    write(1, p, (UIntPtr)1);
                    other.SafeMemoryMappedViewHandle.ReleasePointer();
                    return 0;
            """), At0("is never released"));

    [Fact]
    public Task TwoAcquisitions_OneReleasedOneNot()
        => Verify.VerifyAsync(Method("""
            using var a = file.CreateViewAccessor();
                    using var b = file.CreateViewAccessor();
                    byte* p = null;
                    byte* q = null;
                    a.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    try
                    {
                        {|#0:b.SafeMemoryMappedViewHandle.AcquirePointer(ref q)|};
                        return Parse(p) + Parse(q);
                    }
                    finally
                    {
                        a.SafeMemoryMappedViewHandle.ReleasePointer();
                    }
            """), At0("is never released"));

    // ---- the type's lifetime: views and pointers in fields ----

    [Fact]
    public Task ViewOrPointerInAField_NotReported_LocalNextToIt_Reported()
        => Verify.VerifyAsync("""
            using System;
            using System.IO.MemoryMappedFiles;

            sealed unsafe class Mapped : IDisposable
            {
                private readonly MemoryMappedViewAccessor _view;
                private byte* _base;
                private byte* _copy;

                public Mapped(MemoryMappedFile file)
                {
                    _view = file.CreateViewAccessor();
                    _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base);
                }

                public void KeepInField(MemoryMappedFile file)
                {
                    var view = file.CreateViewAccessor();
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    _copy = p;
                }

                public int Peek()
                {
                    byte* p = null;
                    _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    return *p;
                }

                public int Local(MemoryMappedFile file)
                {
                    using var view = file.CreateViewAccessor();
                    byte* p = null;
                    {|#0:view.SafeMemoryMappedViewHandle.AcquirePointer(ref p)|};
                    return p[0] + Peek();
                }

                public void Dispose()
                {
                    _view.SafeMemoryMappedViewHandle.ReleasePointer();
                    _view.Dispose();
                }
            }
            """, At0("is never released"));

    [Fact]
    public Task ReturnedPointer_NotReported()
        => Verify.VerifyAsync("""
            using System.IO.MemoryMappedFiles;

            static unsafe class Mapped
            {
                public static byte* Acquire(MemoryMappedViewAccessor view)
                {
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    return p + view.PointerOffset;
                }
            }
            """);

    [Fact]
    public Task UnnamedHandle_NotReported()
        => Verify.VerifyAsync("""
            using System.IO.MemoryMappedFiles;

            static unsafe class Mapped
            {
                private static MemoryMappedViewAccessor Open(MemoryMappedFile file) => file.CreateViewAccessor();

                public static int Read(MemoryMappedFile file)
                {
                    byte* p = null;
                    Open(file).SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    return *p;
                }
            }
            """);

    [Fact]
    public Task UserTypeWithAcquirePointer_NotASite()
        => Verify.VerifyAsync("""
            static unsafe class Mapped
            {
                sealed class Handle { public void AcquirePointer(ref byte* p) { } }

                public static int Read(System.Runtime.InteropServices.SafeBuffer buffer)
                {
                    byte* p = null;
                    new Handle().AcquirePointer(ref p);
                    buffer.AcquirePointer(ref p);
                    return *p;
                }
            }
            """);

    [Fact]
    public Task LambdaAcquisition_Reported()
        => Verify.VerifyAsync("""
            using System;
            using System.IO.MemoryMappedFiles;

            static unsafe class Mapped
            {
                public static Func<int> Reader(MemoryMappedFile file) => () =>
                {
                    using var view = file.CreateViewAccessor();
                    byte* p = null;
                    {|#0:view.SafeMemoryMappedViewHandle.AcquirePointer(ref p)|};
                    return *p;
                };
            }
            """, At0("is never released"));
}
