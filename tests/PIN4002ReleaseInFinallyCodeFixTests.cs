using PinAnalyzers.CodeFixes;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.CodeFixVerifier<PinAnalyzers.MappedViewAnalyzer, PinAnalyzers.CodeFixes.ReleasePointerInFinallyCodeFix>;

namespace PinAnalyzers.Tests;

public sealed class PIN4002ReleaseInFinallyCodeFixTests
{
    private const string Key = ReleasePointerInFinallyCodeFix.EquivalenceKey;

    private const string Header = """
        using System;
        using System.IO.MemoryMappedFiles;

        static unsafe class Reader
        {
            private static int Parse(byte* p) => *p;

        """;

    [Fact]
    public Task NeverReleased_WrapsTheRestOfTheBlock()
        => Verify.VerifyFixAsync(Header + """
                public static int Read(MemoryMappedFile file)
                {
                    using var view = file.CreateViewAccessor();
                    byte* p = null;
                    {|PIN4002:view.SafeMemoryMappedViewHandle.AcquirePointer(ref p)|};
                    var value = Parse(p);
                    return value;
                }
            }
            """, Header + """
                public static int Read(MemoryMappedFile file)
                {
                    using var view = file.CreateViewAccessor();
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    try
                    {
                        var value = Parse(p);
                        return value;
                    }
                    finally
                    {
                        view.SafeMemoryMappedViewHandle.ReleasePointer();
                    }
                }
            }
            """, Key);

    [Fact]
    public Task ReleaseAfterThrowingCall_MovesIntoFinally_TailStaysOutside()
        => Verify.VerifyFixAsync(Header + """
                public static int Read(MemoryMappedFile file)
                {
                    using var view = file.CreateViewAccessor();
                    var handle = view.SafeMemoryMappedViewHandle;
                    byte* p = null;
                    {|PIN4002:handle.AcquirePointer(ref p)|};
                    Parse(p);
                    view.SafeMemoryMappedViewHandle.ReleasePointer();
                    Console.WriteLine("done");
                    return 0;
                }
            }
            """, Header + """
                public static int Read(MemoryMappedFile file)
                {
                    using var view = file.CreateViewAccessor();
                    var handle = view.SafeMemoryMappedViewHandle;
                    byte* p = null;
                    handle.AcquirePointer(ref p);
                    try
                    {
                        Parse(p);
                    }
                    finally
                    {
                        handle.ReleasePointer();
                    }

                    Console.WriteLine("done");
                    return 0;
                }
            }
            """, Key);

    [Fact]
    public Task ReleaseInABranch_NoFix()
        => Verify.VerifyNoFixAsync(Header + """
                public static int Read(MemoryMappedFile file)
                {
                    using var view = file.CreateViewAccessor();
                    byte* p = null;
                    {|PIN4002:view.SafeMemoryMappedViewHandle.AcquirePointer(ref p)|};
                    if (Parse(p) == 0)
                    {
                        view.SafeMemoryMappedViewHandle.ReleasePointer();
                        return 0;
                    }

                    return 1;
                }
            }
            """);

    [Fact]
    public Task FixAll_TwoMethods()
        => Verify.VerifyFixAllAsync(Header + """
                public static int A(MemoryMappedViewAccessor view)
                {
                    byte* p = null;
                    {|PIN4002:view.SafeMemoryMappedViewHandle.AcquirePointer(ref p)|};
                    return Parse(p);
                }

                public static int B(MemoryMappedViewStream view)
                {
                    byte* p = null;
                    {|PIN4002:view.SafeMemoryMappedViewHandle.AcquirePointer(ref p)|};
                    return Parse(p);
                }
            }
            """, Header + """
                public static int A(MemoryMappedViewAccessor view)
                {
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
                }

                public static int B(MemoryMappedViewStream view)
                {
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
                }
            }
            """, Header + """
                public static int A(MemoryMappedViewAccessor view)
                {
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
                }

                public static int B(MemoryMappedViewStream view)
                {
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
                }
            }
            """, Key, iterations: 2);
}
