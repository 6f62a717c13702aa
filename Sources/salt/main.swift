import SaltCLI
import Foundation

exit(Salt.main(Array(CommandLine.arguments.dropFirst())))
